import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { JobFailure } from '../../agent/job-failure.js';
import { pgRestoreListArgs, pgRestoreScriptArgs, psqlArgs } from './pg-restore.js';
import { failureFromDumpOutput } from './failures.js';
import { libpqEnvironment } from './connection.js';
import { type PinnedTarget } from '../../agent/pinned-target.js';
import { dropScript, type DroppableObject } from './restore-drops.js';
import type { ArtifactFile, StepDependencies } from '../../agent/artifact-file.js';
import { toolEnv } from '../../agent/tool-env.js';

const stderrTailBytes = 16 * 1024;

/** The artifact's table of contents (`pg_restore --list`), from its file or streamed from storage. */
export async function tableOfContents(source: ArtifactFile | Readable, deps: Pick<StepDependencies, 'env' | 'signal'>): Promise<string> {
  const fromFile = 'path' in source;
  const child = spawn('pg_restore', pgRestoreListArgs(fromFile ? source.path : undefined), {
    env: toolEnv(deps.env),
    stdio: [fromFile ? 'ignore' : 'pipe', 'pipe', 'pipe', ...(fromFile && source.inherited ? [source.inherited.fd] : [])],
    signal: deps.signal,
  });
  if (!fromFile && child.stdin) {
    // pg_restore stops reading once it has the table of contents, at the start of the file.
    child.stdin.on('error', () => undefined);
    source.on('error', () => undefined).pipe(child.stdin);
  }
  let listing = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (listing += chunk));
  const stderr = stderrTail(child);
  const [code] = await toolExit(child, 'pg_restore');
  if (!fromFile) source.destroy();
  if (code !== 0) throw new JobFailure({ code: 'restore_failed', message: `pg_restore could not read the backup's table of contents: ${stderr().trim().split('\n')[0] ?? ''}` });
  return listing;
}

/**
 * Restores over the target database so that afterwards it equals the backup: the objects not
 * in the backup are dropped, then every object of the backup is dropped if it exists and
 * recreated, all in one transaction. pg_restore writes the script (with its own BEGIN and
 * COMMIT), the drops are put right after its BEGIN, psql runs it. A failure anywhere, or a
 * script cut short, ends without COMMIT: the server rolls the transaction back and the
 * database is as it was.
 */
export async function restoreInPlace(target: PinnedTarget, deps: StepDependencies, options: { file: ArtifactFile; drops: readonly DroppableObject[]; lockWaitTimeoutMs?: number }): Promise<void> {
  const script = spawn('pg_restore', pgRestoreScriptArgs(options.file.path), {
    env: toolEnv(deps.env),
    stdio: ['ignore', 'pipe', 'pipe', ...(options.file.inherited ? [options.file.inherited.fd] : [])],
  });
  const psql = spawn('psql', psqlArgs(target), {
    env: { ...toolEnv(deps.env), ...libpqEnvironment({ password: deps.password, applicationName: 'lifeboat-restore' }) },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const scriptErrors = stderrTail(script);
  const psqlErrors = stderrTail(psql);
  // The script sets lock_timeout = 0 before its BEGIN: the bound is set again inside the transaction.
  const bound = options.lockWaitTimeoutMs ? `SET LOCAL lock_timeout = ${Math.round(options.lockWaitTimeoutMs)};\n` : '';
  const withDrops = new DropsAfterBegin(bound + dropScript(options.drops));
  psql.stdin?.on('error', () => undefined);
  // The script's end is not passed on: psql's input is closed only once pg_restore has succeeded.
  script.stdout?.pipe(withDrops).pipe(psql.stdin, { end: false });
  const stop = () => {
    script.kill('SIGTERM');
    psql.kill('SIGTERM');
  };
  deps.signal.addEventListener('abort', stop, { once: true });
  const applied = toolExit(psql, 'psql');
  // psql stopping at an error leaves pg_restore blocked on a full pipe: it is stopped too.
  applied.then(
    () => script.kill('SIGTERM'),
    () => script.kill('SIGTERM'),
  );
  const failure = (): JobFailure => {
    const said = psqlErrors().replace(/^psql:<stdin>:\d+: /gm, '');
    if (/ERROR:|FATAL:|could not connect|connection to server/.test(said)) return new JobFailure(failureFromDumpOutput(said, target, 'pg_restore'));
    if (withDrops.problem) return new JobFailure({ code: 'restore_failed', message: withDrops.problem });
    return new JobFailure(failureFromDumpOutput(scriptErrors() || said || 'pg_restore and psql ended without saying why', target, 'pg_restore'));
  };
  try {
    const [scriptCode] = await toolExit(script, 'pg_restore');
    if (scriptCode !== 0 || withDrops.problem) {
      psql.kill('SIGTERM');
      await applied.catch(() => undefined);
      if (deps.signal.aborted) throw new Error('canceled');
      throw failure();
    }
    if (!withDrops.readableEnded) await once(withDrops, 'end');
    psql.stdin?.end();
    const [psqlCode] = await applied;
    if (deps.signal.aborted) throw new Error('canceled');
    if (psqlCode !== 0) throw failure();
  } finally {
    deps.signal.removeEventListener('abort', stop);
  }
}

/**
 * Passes pg_restore's script through, with `inserted` (the lock bound, the drops) after its first `BEGIN;` line.
 * It also requires the script's `\restrict` line before that: psql then refuses any
 * meta-command (`\!` runs a shell) a crafted dump could carry (CVE-2025-8714). Older tools
 * do not write it, and the restore is refused rather than trusted.
 */
export class DropsAfterBegin extends Transform {
  problem: string | undefined;
  private head: string | undefined = '';
  private static readonly headLimit = 1024 * 1024;

  constructor(private readonly inserted: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.head === undefined || this.problem) return done(null, this.problem ? undefined : chunk);
    this.head += chunk.toString('latin1');
    const at = this.insertionPoint();
    if (at === undefined) {
      if (this.head.length > DropsAfterBegin.headLimit) this.problem = "pg_restore's script has no BEGIN where one was expected; nothing was restored";
      return done();
    }
    if (!/^\\restrict \S+$/m.test(this.head.slice(0, at))) {
      this.problem = "this pg_restore is too old to write \\restrict into its scripts, which in-place restores need (PostgreSQL 13.22, 14.19, 15.14, 16.10, 17.6 or later); nothing was restored";
      return done();
    }
    const head = this.head;
    this.head = undefined;
    done(null, Buffer.concat([Buffer.from(head.slice(0, at), 'latin1'), Buffer.from(this.inserted, 'utf8'), Buffer.from(head.slice(at), 'latin1')]));
  }

  /**
   * After the BEGIN and the settings that follow it (pg_restore sets lock_timeout = 0 there,
   * which the inserted bound must come after): the start of the first other line.
   */
  private insertionPoint(): number | undefined {
    const begin = /^BEGIN;\n/m.exec(this.head ?? '');
    if (!begin || this.head === undefined) return undefined;
    const settings = /(?:SET [^\n]*|SELECT pg_catalog\.set_config\([^\n]*|--[^\n]*|)\n/y;
    let at = begin.index + begin[0].length;
    for (;;) {
      settings.lastIndex = at;
      const line = settings.exec(this.head);
      if (!line) break;
      at += line[0].length;
    }
    // A line not yet whole may still be a setting.
    return this.head.indexOf('\n', at) === -1 ? undefined : at;
  }

  override _flush(done: TransformCallback): void {
    if (this.head !== undefined && !this.problem) this.problem = "pg_restore's script ended before its first statement; nothing was restored";
    done();
  }
}

/** The last 16 KiB a tool wrote to its standard error, read when it has ended. */
export function stderrTail(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text = (text + chunk).slice(-stderrTailBytes)));
  return () => text;
}

/** How a restore tool ended; one not installed is `restore_failed` saying so. */
export function toolExit(child: ChildProcess, tool: string): Promise<[number | null, NodeJS.Signals | null]> {
  return Promise.race([
    once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>,
    once(child, 'error').then(([error]: unknown[]) => {
      throw (error as NodeJS.ErrnoException).code === 'ENOENT' ? new JobFailure({ code: 'restore_failed', message: `${tool} is not installed where the restore job runs (not found on its PATH)` }) : (error as Error);
    }),
  ]);
}
