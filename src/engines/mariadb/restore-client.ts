import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { JobFailure } from '../../agent/job-failure.js';
import type { PinnedTarget } from '../../agent/pinned-target.js';
import type { ArtifactFile } from '../../agent/artifact-file.js';
import { DumpGuard } from './dump-guard.js';
import { writeOptionsFile } from './options-file.js';

/**
 * The `mariadb` client that applies a dump: its argv, and the pipe from the checked artifact
 * through decompression and the dump guard into it. Credentials go through the engine's one
 * options file (options-file.ts).
 */

/**
 * The client's argv. `--defaults-extra-file` must come first (the client reads it only there).
 * `--binary-mode` keeps blobs and `\0` as they are and turns off the client's own commands
 * (`\!`, `source`, `use`…) but DELIMITER; `--sandbox` refuses file access on top; the packet
 * limit is the client's maximum, so any row the server accepted fits; `--skip-reconnect`: a
 * reconnect would lose the dump's session settings (foreign_key_checks=0) halfway. Pure.
 */
export function restoreClientArgs(target: PinnedTarget, options: { optionsFile: string; database: string; lockWaitTimeoutSeconds?: number }): string[] {
  const timeout = options.lockWaitTimeoutSeconds;
  return [
    `--defaults-extra-file=${options.optionsFile}`,
    '--protocol=TCP',
    `--host=${target.address}`,
    `--port=${target.port}`,
    '--default-character-set=utf8mb4',
    '--binary-mode',
    '--sandbox',
    '--skip-reconnect',
    '--connect-timeout=10',
    '--max-allowed-packet=1073741824',
    ...(timeout ? [`--init-command=SET SESSION lock_wait_timeout = ${Math.round(timeout)}, SESSION innodb_lock_wait_timeout = ${Math.round(timeout)}`] : []),
    `--database=${options.database}`,
  ];
}

/** The artifact's SQL, decompressed by the key's extension: `.gz` with zlib, `.zst` with the zstd CLI. */
export function decompressed(file: ArtifactFile, key: string, signal: AbortSignal): Readable {
  const raw = file.inherited ? file.inherited.createReadStream({ start: 0, autoClose: false }) : createReadStream(file.path);
  if (key.endsWith('.gz')) return raw.pipe(createGunzip());
  if (key.endsWith('.zst')) {
    const zstd = spawn('/usr/bin/zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'ignore'], signal });
    zstd.on('error', () => undefined);
    zstd.stdin.on('error', () => undefined);
    raw.pipe(zstd.stdin);
    zstd.on('close', (code) => {
      if (code !== 0) zstd.stdout.destroy(new Error(`zstd could not decompress the backup (exit ${code})`));
    });
    return zstd.stdout;
  }
  throw new JobFailure({ code: 'restore_failed', message: `the backup's file ${key} is neither .sql.gz nor .sql.zst; nothing was restored` });
}

export interface ClientRun {
  target: PinnedTarget;
  password: string | undefined;
  database: string;
  sql: Readable;
  workDir: string;
  signal: AbortSignal;
  env: Readonly<Record<string, string | undefined>>;
  lockWaitTimeoutSeconds?: number;
}

/**
 * Pipes the SQL through the dump guard into the client. On a refusal the client is killed
 * before its input closes: at end of input it would run a last statement without delimiter.
 * Throws `restore_failed` with the guard's reason or the client's stderr tail.
 */
export async function runRestoreClient(run: ClientRun): Promise<void> {
  const options = await writeOptionsFile(run.workDir, { user: run.target.user, password: run.password });
  try {
    const child = spawn('mariadb', restoreClientArgs(run.target, { optionsFile: options.path, database: run.database, lockWaitTimeoutSeconds: run.lockWaitTimeoutSeconds }), {
      // No HOME: the client would read that user's ~/.my.cnf too; only the job's options file speaks.
      env: { PATH: run.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-16 * 1024)));
    const exited = Promise.race([
      once(child, 'close') as Promise<[number | null]>,
      once(child, 'error').then(([error]) => {
        throw (error as NodeJS.ErrnoException).code === 'ENOENT' ? new JobFailure({ code: 'restore_failed', message: 'the mariadb client is not installed where the restore job runs' }) : (error as Error);
      }),
    ]);
    const guard = new DumpGuard(() => child.kill('SIGKILL'));
    const stop = () => child.kill('SIGKILL');
    run.signal.addEventListener('abort', stop, { once: true });
    child.stdin.on('error', () => undefined);
    try {
      const piped = pipeline(run.sql, guard, child.stdin).catch((error: unknown) => {
        child.kill('SIGKILL');
        return error;
      });
      const [code] = await exited;
      const pipeError = await piped;
      if (run.signal.aborted) throw new Error('canceled');
      if (guard.problem) throw new JobFailure({ code: 'restore_failed', message: guard.problem });
      if (code !== 0) throw new JobFailure({ code: 'restore_failed', message: `the mariadb client stopped the restore: ${stderr.trim().split('\n').slice(-5).join(' ') || `exit code ${code}`}` });
      if (pipeError) throw new JobFailure({ code: 'restore_failed', message: `the backup could not be read: ${(pipeError as Error).message}` });
    } finally {
      run.signal.removeEventListener('abort', stop);
    }
  } finally {
    await options.remove();
  }
}
