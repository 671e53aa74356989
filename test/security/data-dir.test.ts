import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';

/** Every entry under `dir` with its permission bits. */
async function modesUnder(dir: string): Promise<{ path: string; mode: number }[]> {
  const found: { path: string; mode: number }[] = [];
  const walk = async (current: string) => {
    found.push({ path: current, mode: (await lstat(current)).mode & 0o777 });
    if (!(await lstat(current)).isDirectory()) return;
    for (const entry of await readdir(current)) await walk(join(current, entry));
  };
  await walk(dir);
  return found;
}

/**
 * A real `lifeboat serve` started with the loosest umask there is (000, as a careless service
 * manager might), creating its data dir from nothing: the PGlite database, admin-token,
 * secret-key and a real backup's artifacts (written by its agent) are all its user's alone.
 */
describe('data dir permissions', () => {
  let work: string;
  let source: TestDatabase;
  let lifeboat: LifeboatProcess;
  let dataDir: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lifeboat-data-dir-'));
    dataDir = join(work, 'data');
    source = await createTestDatabase('data_dir_source');
    await seedSampleData(source, 50);
    // The child inherits this process's umask; put it back at once, for the rest of this worker.
    const previous = process.umask(0o000);
    try {
      lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir }, { timeoutMs: 90_000 });
    } finally {
      process.umask(previous);
    }
    const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    const projectId = (await admin('POST', '/v1/projects', { name: 'data-dir' })).body.id;
    const owner = apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token);
    const service = await owner('POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
      name: 'shop',
      engine: 'postgresql',
      connection: { host: postgresHost, port: postgresPort, database: source.name, user: postgresUser, password: '' },
    });
    const backupId = (await owner('POST', `/v1/services/${service.body.id}/backups`)).body.id;
    expect((await waitForBackup(owner, backupId)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await source?.drop();
    await rm(work, { recursive: true, force: true });
  });

  it('creates nothing in the data dir that its group or other users can read, write or enter', async () => {
    const entries = await modesUnder(dataDir);
    const names = entries.map((entry) => relative(dataDir, entry.path));
    // What the data dir holds after a first start and a backup: the secrets, the PGlite database, the artifacts.
    expect(names).toEqual(expect.arrayContaining(['admin-token', 'secret-key', 'artifacts']));
    expect(names.filter((name) => name.startsWith('platform-db/')).length).toBeGreaterThan(10);
    expect(names.some((name) => name.startsWith('artifacts/') && name.endsWith('.dump'))).toBe(true);
    // No other user can enter the data dir, so nothing inside is reachable to them at all.
    expect(entries[0]!.mode).toBe(0o700);
    const shown = (entry: { path: string; mode: number }) => `${relative(dataDir, entry.path)} ${entry.mode.toString(8)}`;
    expect(entries.filter((entry) => (entry.mode & 0o022) !== 0).map(shown)).toEqual([]);
    // PostgreSQL rewrites its relation cache files 0644 at each start (src/db/owner-only.ts); nothing else is readable by others.
    expect(entries.filter((entry) => (entry.mode & 0o077) !== 0 && !entry.path.endsWith('/pg_internal.init')).map(shown)).toEqual([]);
  });
});
