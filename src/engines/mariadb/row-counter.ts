import { Transform, type TransformCallback } from 'node:stream';

/**
 * Counts the rows of each table in a `mariadb-dump` SQL stream as it passes: the counts are of
 * what the artifact holds, not of what the server held a moment before or after. It lexes the
 * dump the way the `mariadb` client does when it restores it (statements end at the delimiter,
 * `DELIMITER` changes it; quotes, backticks, comments and `/*! … *\/` versioned comments are
 * tracked), and in each statement that starts `INSERT INTO \`t\``, counts the parenthesised
 * tuples after `VALUES` at depth 0. Values are literals (with --hex-blob, binary is 0x…), so the
 * only text that can hold a `(`, `,`, `;` or newline is a quoted string, which is skipped.
 *
 * One byte at a time, with string bodies skipped by indexOf: fast enough to run beside the dump.
 */

// Lexer states.
const START = 0; // between statements, skipping whitespace
const HEAD = 1; // the first bytes of a statement, matched against `INSERT INTO \`` and `DELIMITER `
const DELIMITER_LINE = 2; // the rest of a `DELIMITER` line: the new delimiter
const CODE = 3;
const DASH = 4; // one `-`: a `-- ` comment, or code
const DASH_DASH = 5;
const SLASH = 6; // one `/`: a comment, or code
const SLASH_STAR = 7;
const SLASH_STAR_M = 8; // `/*M!` is MariaDB's versioned comment
const BLOCK_COMMENT = 9;
const BLOCK_COMMENT_STAR = 10;
const LINE_COMMENT = 11;
const VERSIONED_STAR = 12; // a `*` inside a versioned comment: its end, or code
const SINGLE = 13;
const SINGLE_ESCAPE = 14;
const DOUBLE = 15;
const DOUBLE_ESCAPE = 16;
const BACKTICK = 17;
const BACKTICK_TICK = 18; // a backtick inside a quoted name: its end, or a doubled one
const NAME = 19; // the table name of an INSERT
const NAME_TICK = 20;

// Where an INSERT statement is.
const NOT_INSERT = 0;
const BEFORE_VALUES = 1;
const IN_VALUES = 2;

const insertHead = Buffer.from('INSERT INTO `');
const delimiterHead = Buffer.from('DELIMITER ');
const SQ = 0x27;
const DQ = 0x22;
const BT = 0x60;
const BS = 0x5c;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0x0b || byte === 0x0c;
}

function isLetter(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}

export class RowCounter {
  private state = START;
  private delimiter: Buffer = Buffer.from(';');
  private delimiterMatched = 0;
  /** Whether the statement has had anything but whitespace and comments: a comment at its start leaves it at its start. */
  private statementHasCode = false;
  private headMatched = 0;
  private headCandidates = 3; // bit 1: INSERT, bit 2: DELIMITER
  private lineBytes: number[] = [];
  private versioned = false;
  private insert = NOT_INSERT;
  private nameBytes: number[] = [];
  private table = '';
  private depth = 0;
  private word = '';
  private rows = 0;
  private readonly totals = new Map<string, number>();

  /** Rows per table, of the complete INSERT statements seen so far. */
  counts(): Map<string, number> {
    return new Map(this.totals);
  }

  write(chunk: Uint8Array): void {
    const length = chunk.length;
    let i = 0;
    let nextBackslash = -2;
    while (i < length) {
      const byte = chunk[i]!;
      switch (this.state) {
        case START:
          if (!isSpace(byte)) {
            this.state = HEAD;
            this.headMatched = 0;
            this.headCandidates = 3;
            continue; // the byte is the head's first
          }
          break;
        case HEAD: {
          const at = this.headMatched;
          let candidates = this.headCandidates;
          if (candidates & 1 && insertHead[at] !== byte) candidates &= ~1;
          // `DELIMITER` is a client command: any case, as the client takes it.
          if (candidates & 2 && !(delimiterHead[at] === byte || (isLetter(byte) && delimiterHead[at] === (byte & 0xdf)))) candidates &= ~2;
          this.headCandidates = candidates;
          if (candidates === 0) {
            // Whatever matched was letters and spaces; a comment or quote at the very start is not code yet.
            if (at > 0) this.statementHasCode = true;
            this.state = CODE;
            continue; // reread as code
          }
          this.headMatched = at + 1;
          if (candidates & 1 && this.headMatched === insertHead.length) {
            this.statementHasCode = true;
            // Data statements only ever come with the plain delimiter; inside a routine's `;;` it is a routine's text.
            if (this.delimiter.length === 1 && this.delimiter[0] === 0x3b) {
              this.state = NAME;
              this.nameBytes = [];
            } else this.state = BACKTICK;
          } else if (candidates & 2 && this.headMatched === delimiterHead.length) {
            this.state = DELIMITER_LINE;
            this.lineBytes = [];
          }
          break;
        }
        case DELIMITER_LINE:
          if (byte === 0x0a) {
            const text = Buffer.from(this.lineBytes).toString('latin1').trim();
            if (text.length > 0) this.delimiter = Buffer.from(text, 'latin1');
            this.endStatement();
          } else this.lineBytes.push(byte);
          break;
        case CODE:
          if (this.insert === IN_VALUES && !this.versioned) {
            // The values' unquoted bytes (digits, commas, NULL, 0x…): only parentheses matter here.
            let depth = this.depth;
            let at = i;
            for (; at < length; at++) {
              const b = chunk[at]!;
              if (b === 0x28) {
                if (depth === 0) this.rows++;
                depth++;
              } else if (b === 0x29) depth--;
              else if (b === SQ || b === DQ || b === BT || b === 0x3b || b === 0x2d || b === 0x2f || b === 0x23) break;
            }
            this.depth = depth;
            if (at > i) this.delimiterMatched = 0;
            i = at;
            if (i === length) continue;
            this.code(chunk[i]!);
            break;
          }
          this.code(byte);
          break;
        case DASH:
          if (byte === 0x2d) this.state = DASH_DASH;
          else {
            this.markCode();
            this.state = CODE;
            continue;
          }
          break;
        case DASH_DASH:
          if (isSpace(byte) || byte < 0x20) {
            this.state = byte === 0x0a ? this.afterComment() : LINE_COMMENT;
          } else {
            this.markCode();
            this.state = CODE;
            continue;
          }
          break;
        case SLASH:
          if (byte === 0x2a) this.state = SLASH_STAR;
          else {
            this.markCode();
            this.state = CODE;
            continue;
          }
          break;
        case SLASH_STAR:
          if (byte === 0x21) {
            this.versioned = true;
            this.markCode();
            this.state = CODE;
          } else if (byte === 0x4d) this.state = SLASH_STAR_M;
          else {
            this.state = BLOCK_COMMENT;
            continue;
          }
          break;
        case SLASH_STAR_M:
          if (byte === 0x21) {
            this.versioned = true;
            this.markCode();
            this.state = CODE;
          } else {
            this.state = BLOCK_COMMENT;
            continue;
          }
          break;
        case BLOCK_COMMENT: {
          const end = chunk.indexOf(0x2a, i);
          if (end === -1) {
            i = length;
            continue;
          }
          i = end;
          this.state = BLOCK_COMMENT_STAR;
          break;
        }
        case BLOCK_COMMENT_STAR:
          if (byte === 0x2f) this.state = this.afterComment();
          else if (byte !== 0x2a) this.state = BLOCK_COMMENT;
          break;
        case LINE_COMMENT: {
          const end = chunk.indexOf(0x0a, i);
          if (end === -1) {
            i = length;
            continue;
          }
          i = end;
          this.state = this.afterComment();
          break;
        }
        case VERSIONED_STAR:
          if (byte === 0x2f) {
            this.versioned = false;
            this.state = CODE;
          } else {
            this.state = CODE;
            continue;
          }
          break;
        case SINGLE:
        case DOUBLE: {
          const quote = this.state === SINGLE ? SQ : DQ;
          const close = chunk.indexOf(quote, i);
          // Found once per chunk and on demand, not once per string: most dumps have few backslashes.
          if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf(BS, i);
          const escape = nextBackslash;
          if (escape !== -1 && (close === -1 || escape < close)) {
            i = escape;
            this.state = quote === SQ ? SINGLE_ESCAPE : DOUBLE_ESCAPE;
          } else if (close !== -1) {
            i = close;
            this.state = CODE;
          } else {
            i = length;
            continue;
          }
          break;
        }
        case SINGLE_ESCAPE:
          this.state = SINGLE;
          break;
        case DOUBLE_ESCAPE:
          this.state = DOUBLE;
          break;
        case BACKTICK: {
          const close = chunk.indexOf(BT, i);
          if (close === -1) {
            i = length;
            continue;
          }
          i = close;
          this.state = BACKTICK_TICK;
          break;
        }
        case BACKTICK_TICK:
          if (byte === BT) this.state = BACKTICK;
          else {
            this.state = CODE;
            continue;
          }
          break;
        case NAME:
          if (byte === BT) this.state = NAME_TICK;
          else this.nameBytes.push(byte);
          break;
        case NAME_TICK:
          if (byte === BT) {
            this.nameBytes.push(BT);
            this.state = NAME;
          } else {
            this.table = Buffer.from(this.nameBytes).toString('utf8');
            this.insert = BEFORE_VALUES;
            this.depth = 0;
            this.word = '';
            this.rows = 0;
            this.state = CODE;
            continue;
          }
          break;
      }
      i++;
    }
  }

  /** One byte of code: a quote, a comment's start, a parenthesis, the delimiter, or nothing of note. */
  private code(byte: number): void {
    const delimiter = this.delimiter;
    if (byte === delimiter[this.delimiterMatched]) {
      this.delimiterMatched++;
      if (this.delimiterMatched === delimiter.length) {
        this.endStatement();
        return;
      }
    } else {
      this.delimiterMatched = byte === delimiter[0] ? 1 : 0;
    }
    if (this.insert !== NOT_INSERT) {
      if (this.insert === IN_VALUES) {
        if (byte === 0x28) {
          if (this.depth === 0) this.rows++;
          this.depth++;
        } else if (byte === 0x29) this.depth--;
      } else if (this.depth === 0 && isLetter(byte)) {
        this.word += String.fromCharCode(byte & 0xdf);
      } else {
        if (this.word === 'VALUES' && this.depth === 0) this.insert = IN_VALUES;
        this.word = '';
        if (byte === 0x28) this.depth++;
        else if (byte === 0x29) this.depth--;
        if (this.insert === IN_VALUES && byte === 0x28) {
          this.rows++;
        }
      }
    }
    switch (byte) {
      case SQ:
        this.state = SINGLE;
        break;
      case DQ:
        this.state = DOUBLE;
        break;
      case BT:
        this.state = BACKTICK;
        break;
      case 0x2d:
        this.state = DASH;
        return; // code or not: decided by the next byte
      case 0x2f:
        this.state = SLASH;
        return;
      case 0x23:
        this.state = LINE_COMMENT;
        return;
      case 0x2a:
        if (this.versioned) this.state = VERSIONED_STAR;
        break;
    }
    if (!isSpace(byte)) this.statementHasCode = true;
  }

  private markCode(): void {
    this.statementHasCode = true;
  }

  private afterComment(): number {
    return this.statementHasCode ? CODE : START;
  }

  private endStatement(): void {
    if (this.insert === IN_VALUES) this.totals.set(this.table, (this.totals.get(this.table) ?? 0) + this.rows);
    this.insert = NOT_INSERT;
    this.delimiterMatched = 0;
    this.statementHasCode = false;
    this.versioned = false;
    this.state = START;
  }
}

/** Passes the dump through unchanged while a RowCounter reads it. */
export class RowCountStream extends Transform {
  readonly counter = new RowCounter();

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.counter.write(chunk);
    callback(null, chunk);
  }
}
