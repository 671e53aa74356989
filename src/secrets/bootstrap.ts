import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A value generated on first start and kept in the data dir (mode 0600), for `lifeboat serve`
 * when LIFEBOAT_SECRET_KEY or LIFEBOAT_ADMIN_TOKEN is not set. `created` tells the caller to
 * announce it.
 */
export async function keptSecret(dataDir: string, fileName: string, generate: () => string): Promise<{ value: string; created: boolean }> {
  const path = join(dataDir, fileName);
  try {
    const value = (await readFile(path, 'utf8')).trim();
    if (value !== '') return { value, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const value = generate();
  await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'w' });
  return { value, created: true };
}
