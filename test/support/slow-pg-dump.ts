import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A `pg_dump` that waits before running the real one, for as many seconds as a file says: the
 * tests set it to keep a backup running (to cancel it, kill its orchestrator, or let it time out)
 * and back to 0. Put `path` first on the PATH of the process that runs agents.
 */
export async function slowPgDump(directory: string): Promise<{ path: string; setDelay(seconds: number): Promise<void> }> {
  const bin = join(directory, 'slow-pg-dump-bin');
  await mkdir(bin, { recursive: true });
  const delayFile = join(directory, 'slow-pg-dump-delay');
  await writeFile(delayFile, '0');
  const realPgDump = (await promisify(execFile)('sh', ['-c', 'command -v pg_dump'])).stdout.trim();
  await writeFile(join(bin, 'pg_dump'), `#!/bin/sh\n[ "$1" = "--version" ] || sleep "$(cat ${delayFile})"\nexec ${realPgDump} "$@"\n`);
  await chmod(join(bin, 'pg_dump'), 0o755);
  return { path: `${bin}:${process.env.PATH}`, setDelay: (seconds) => writeFile(delayFile, String(seconds)) };
}
