import { Transform, type TransformCallback } from 'node:stream';

/**
 * Checks a decompressed mariadb-dump script as it passes to the `mariadb` client, before the
 * client can run any of it:
 * - no statement switches or touches another database (`USE`, `CREATE/DROP/ALTER DATABASE|SCHEMA`):
 *   an artifact cannot redirect a restore into another project's database;
 * - the script ends with mariadb-dump's `-- Dump completed` trailer: a truncated dump fails the
 *   restore (its target, a new or scratch database, is then dropped).
 *
 * The scanner follows what the client and the server split on: the client's DELIMITER, and `;`
 * too, because the client sends a `DELIMITER ;;` block as one query and the server runs it as
 * several (multi-statements are on). Quotes, backticks and comments are skipped; an executable
 * comment (`/*!50003 … *\/`, `/*M!… *\/`) is read both ways, as code and as a comment, because the
 * server runs or ignores it by its version: a statement is refused if either reading is forbidden.
 * The bytes of a statement whose first words are not yet known are held back, so the client never
 * receives a refused statement. Not covered (see the report): a crafted dump that sets sql_mode
 * ANSI_QUOTES or NO_BACKSLASH_ESCAPES to make the server quote differently from this scanner;
 * database-qualified names (`INSERT INTO other.t`) are bounded by the restore user's privileges.
 */

const forbiddenHeads: readonly (readonly string[])[] = [
  ['USE'],
  ['CREATE', 'DATABASE'],
  ['CREATE', 'SCHEMA'],
  ['CREATE', 'OR', 'REPLACE', 'DATABASE'],
  ['CREATE', 'OR', 'REPLACE', 'SCHEMA'],
  ['DROP', 'DATABASE'],
  ['DROP', 'SCHEMA'],
  ['ALTER', 'DATABASE'],
  ['ALTER', 'SCHEMA'],
];
const headWords = 4;
const trailer = '-- Dump completed';
/** A statement head hidden behind more comment than this is refused rather than held without end. */
const holdLimit = 1024 * 1024;
/** Bytes kept unscanned at a chunk's end: enough for `DELIMITER ` and any comment marker. */
const lookahead = 10;

/** The verdict on a statement's first words: undefined while more words could still decide it. Pure. */
export function headVerdict(words: readonly string[], complete: boolean): 'allowed' | 'forbidden' | undefined {
  let undecided = false;
  for (const head of forbiddenHeads) {
    const n = Math.min(head.length, words.length);
    if (!head.slice(0, n).every((word, i) => word === words[i])) continue;
    if (n === head.length) return 'forbidden';
    undecided = true;
  }
  return undecided && !complete ? undefined : 'allowed';
}

type Quote = 0x27 | 0x22 | 0x60;
const isWordByte = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x5f || b === 0x24;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c || b === 0x0b;

/** One way of reading a statement's first words: executable comments as code, or as comments. */
class Reading {
  words: string[] = [];
  word = '';
  verdict: 'allowed' | 'forbidden' | undefined;

  add(b: number): void {
    if (this.verdict === undefined && this.words.length < headWords) this.word += String.fromCharCode(b);
  }

  /** A word ended; `complete`: what follows is not a word, so the head is as long as it gets. */
  end(complete: boolean): void {
    if (this.verdict !== undefined) return;
    if (this.word) this.words.push(this.word.toUpperCase());
    this.word = '';
    this.verdict = headVerdict(this.words, complete || this.words.length >= headWords);
  }
}

export class DumpGuard extends Transform {
  /** Why the script was refused; set before the stream errors. */
  problem: string | undefined;
  private delimiter = Buffer.from(';');
  private quote: Quote | undefined;
  private escaped = false;
  private comment: 'line' | 'block' | undefined;
  private executable = 0; // depth of /*! … */ being read as code
  private skippingVersion = false;
  private asCode = new Reading();
  private asComment = new Reading();
  private decided = false;
  private directive: Buffer[] | undefined; // a DELIMITER line being read
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Where, in the chunk being scanned, the undecided statement starts; -1: none undecided; -2: it started in an earlier chunk. */
  private holdFrom = -2;
  private tail = '';
  private unscanned: Buffer = Buffer.alloc(0);
  private scannedTo = 0;

  constructor(private readonly onRefuse: (problem: string) => void = () => undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pass(Buffer.concat([this.unscanned, chunk]), false, done);
  }

  override _flush(done: TransformCallback): void {
    this.pass(this.unscanned, true, (error, out?: Buffer) => {
      if (error) return done(error);
      if (out) this.push(out);
      if (this.quote !== undefined || this.comment === 'block' || this.executable > 0 || !this.tail.trimEnd().endsWith(trailer)) {
        return this.refuse("the backup's SQL ends without mariadb-dump's \"-- Dump completed\" line: the artifact is truncated or was not written by mariadb-dump, so the restore was stopped", done);
      }
      done(null, this.held.length > 0 ? Buffer.concat(this.held) : undefined);
    });
  }

  /**
   * Scans `data` but its last few bytes (kept for the next chunk, so that a comment marker, a
   * DELIMITER or a delimiter split across chunks is read whole), and passes on what is decided.
   */
  private pass(data: Buffer, last: boolean, done: TransformCallback): void {
    const limit = last ? data.length : Math.max(0, data.length - Math.max(lookahead, this.delimiter.length));
    const problem = this.scan(data, limit);
    if (problem) return this.refuse(problem, done);
    // A marker read whole at the limit may end past it.
    const end = Math.min(data.length, Math.max(limit, this.scannedTo));
    const scanned = data.subarray(0, end);
    this.unscanned = data.subarray(end);
    this.tail = (this.tail + scanned.subarray(Math.max(0, scanned.length - 64)).toString('latin1')).slice(-64);
    let out: Buffer | undefined;
    if (this.holdFrom === -1) {
      out = Buffer.concat([...this.held, scanned]);
      this.held = [];
      this.heldBytes = 0;
    } else if (this.holdFrom === -2) {
      this.held.push(scanned);
      this.heldBytes += scanned.length;
    } else {
      out = Buffer.concat([...this.held, scanned.subarray(0, this.holdFrom)]);
      this.held = [scanned.subarray(this.holdFrom)];
      this.heldBytes = this.held[0]!.length;
    }
    if (this.heldBytes > holdLimit) return this.refuse('the backup holds a statement whose first words could not be read within 1 MiB; nothing was restored from it', done);
    done(null, out && out.length > 0 ? out : undefined);
  }

  private refuse(problem: string, done: TransformCallback): void {
    this.problem = problem;
    this.held = [];
    this.onRefuse(problem);
    done(new Error(problem));
  }

  private startStatement(at: number): void {
    this.asCode = new Reading();
    this.asComment = new Reading();
    this.decided = false;
    this.holdFrom = at;
  }

  /** After a word ended or a non-word byte: forbidden → the problem; both readings allowed → the statement goes on. */
  private judge(codeComplete: boolean, commentComplete: boolean): string | undefined {
    if (this.decided) return undefined;
    this.asCode.end(codeComplete);
    this.asComment.end(commentComplete);
    for (const reading of [this.asCode, this.asComment]) {
      if (reading.verdict === 'forbidden') {
        return `the backup holds a statement that switches or changes a database (${reading.words.join(' ')} …): a restore stays in its target database, so nothing was restored from it`;
      }
    }
    if (this.asCode.verdict === 'allowed' && this.asComment.verdict === 'allowed') {
      this.decided = true;
      this.holdFrom = -1;
    }
    return undefined;
  }

  private scan(chunk: Buffer, limit: number): string | undefined {
    this.holdFrom = this.decided ? -1 : -2;
    let i = 0;
    for (; i < limit; i++) {
      const b = chunk[i]!;
      if (this.directive) {
        if (b === 0x0a) {
          const next = Buffer.concat(this.directive).toString('latin1').trim().split(/\s+/)[0];
          this.directive = undefined;
          if (!next) return 'the backup holds a DELIMITER line without a delimiter; nothing was restored from it';
          this.delimiter = Buffer.from(next, 'latin1');
          this.startStatement(i + 1);
        } else this.directive.push(chunk.subarray(i, i + 1));
        continue;
      }
      if (this.quote !== undefined) {
        if (this.escaped) this.escaped = false;
        else if (b === 0x5c && this.quote !== 0x60) this.escaped = true;
        else if (b === this.quote) this.quote = undefined;
        continue;
      }
      if (this.comment === 'line') {
        if (b === 0x0a) this.comment = undefined;
        continue;
      }
      if (this.comment === 'block') {
        if (b === 0x2a && chunk[i + 1] === 0x2f) {
          this.comment = undefined;
          i++;
        }
        continue;
      }
      if (this.skippingVersion) {
        if (b >= 0x30 && b <= 0x39) continue;
        this.skippingVersion = false;
      }
      if (this.executable > 0 && b === 0x2a && chunk[i + 1] === 0x2f) {
        // The end of an executable comment ends a word read as code; read as a comment, the word goes on.
        const problem = this.judge(false, false);
        if (problem) return problem;
        this.executable--;
        i++;
        continue;
      }
      if (b === 0x23 || (b === 0x2d && chunk[i + 1] === 0x2d && (i + 2 >= chunk.length || isSpace(chunk[i + 2]!)))) {
        const problem = this.judge(false, false);
        if (problem) return problem;
        this.comment = 'line';
        continue;
      }
      if (b === 0x2f && chunk[i + 1] === 0x2a) {
        const problem = this.judge(false, false);
        if (problem) return problem;
        const marker = chunk[i + 2];
        if (marker === 0x21 || (marker === 0x4d && chunk[i + 3] === 0x21)) {
          this.executable++;
          this.skippingVersion = true;
          i += marker === 0x21 ? 2 : 3;
        } else {
          this.comment = 'block';
          i++;
        }
        continue;
      }
      if (!this.decided && (b === 0x44 || b === 0x64) && this.executable === 0 && this.asCode.words.length === 0 && this.asCode.word === '' && this.asCode.verdict === undefined) {
        if (/^delimiter[ \t]/i.test(chunk.subarray(i, i + 10).toString('latin1'))) {
          this.directive = [];
          i += 9;
          continue;
        }
      }
      const delimiterHere = this.isDelimiterAt(chunk, i);
      if (delimiterHere || b === 0x3b) {
        const problem = this.judge(true, true);
        if (problem) return problem;
        i += (delimiterHere ? this.delimiter.length : 1) - 1;
        this.startStatement(i + 1);
        continue;
      }
      if (isWordByte(b)) {
        this.asCode.add(b);
        if (this.executable === 0) this.asComment.add(b);
        continue;
      }
      if (b === 0x27 || b === 0x22 || b === 0x60) this.quote = b;
      const significant = !isSpace(b);
      const problem = this.judge(significant, significant && this.executable === 0);
      if (problem) return problem;
    }
    this.scannedTo = i;
    return undefined;
  }

  private isDelimiterAt(chunk: Buffer, i: number): boolean {
    const d = this.delimiter;
    if (chunk[i] !== d[0]) return false;
    for (let k = 1; k < d.length; k++) if (chunk[i + k] !== d[k]) return false;
    return true;
  }
}
