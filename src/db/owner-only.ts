import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Takes the group's and others' bits off everything under `directory`. PGlite writes its
 * database files with an explicit mode 0666 (its WASM file system chmods them), so the process
 * umask does not reach them; this does, for a new database and for one an older Lifeboat left
 * readable. Files PostgreSQL creates later are 0600, except its relation cache files
 * (`pg_internal.init`, rewritten 0644 at start): the data dir itself is 0700, so no other user
 * reaches them.
 */
export async function makeOwnerOnly(directory: string): Promise<void> {
  const entry = await lstat(directory);
  if (entry.isSymbolicLink()) return;
  if ((entry.mode & 0o077) !== 0) await chmod(directory, entry.mode & 0o700);
  if (!entry.isDirectory()) return;
  for (const name of await readdir(directory)) await makeOwnerOnly(join(directory, name));
}
