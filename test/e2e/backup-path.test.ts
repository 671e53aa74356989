import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUrl, postgresUser, seedSampleData, tableFingerprints, type TestDatabase } from '../support/postgres.js';
import { platformKinds, seedPlatformDatabase } from '../support/platform-db.js';

const run = promisify(execFile);

/**
 * The whole path with the real `lifeboat serve`: request → outbox → bus → orchestrator → agent
 * running pg_dump → artifact → terminal event → download link → pg_restore, on both platform
 * databases.
 */
describe.each(platformKinds)('backing up and restoring through lifeboat serve on %s', (kind) => {
  let source: TestDatabase;
  let platform: TestDatabase | undefined;
  let restored: TestDatabase | undefined;
  let dataDir: string;

  beforeAll(async () => {
    source = await createTestDatabase('e2e_source');
    await seedSampleData(source, 5000);
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-e2e-'));
    if (kind === 'postgres') platform = await createTestDatabase('e2e_platform');
    else await seedPlatformDatabase(dataDir);
  });
  afterAll(async () => {
    await source?.drop();
    await platform?.drop();
    await restored?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates a backup that succeeds, downloads through the link, and restores to equal data', async () => {
    const lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir, ...(platform ? { LIFEBOAT_DATABASE_URL: platform.url } : {}) });
    try {
      expect(lifeboat.adminToken).toMatch(/^lba_/);
      const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
      const project = await admin('POST', '/v1/projects', { name: 'shop' });
      const owner = await admin('POST', `/v1/projects/${project.body.id}/tokens`, { role: 'owner' });
      const api = apiClient(lifeboat.url, owner.body.token);
      const service = await api('POST', `/v1/projects/${project.body.id}/services?skipCheck=true`, {
        name: 'shop-db',
        engine: 'postgresql',
        connection: { host: postgresHost, port: postgresPort, database: source.name, user: postgresUser, password: 'unused-with-trust-auth' },
      });
      expect(service.status).toBe(201);

      // Two requests at the same moment: the database lets exactly one through.
      const attempts = await Promise.all([1, 2].map(() => api('POST', `/v1/services/${service.body.id}/backups`)));
      expect(attempts.map((attempt) => attempt.status).sort()).toEqual([202, 409]);
      const created = attempts.find((attempt) => attempt.status === 202)!;
      expect(attempts.find((attempt) => attempt.status === 409)!.body.error.code).toBe('backup_in_progress');
      const backup = await waitForBackup(api, created.body.id);
      expect(backup, lifeboat.output()).toMatchObject({ status: 'succeeded', failure: null });
      expect(backup.sizeBytes).toBeGreaterThan(10_000);
      expect(backup.startedAt).not.toBeNull();
      expect(backup.finishedAt).not.toBeNull();

      const contents = await api('GET', `/v1/backups/${backup.id}/contents`);
      expect(contents.status).toBe(200);
      expect(contents.body.tables.map((table: { schema: string; name: string; rows: number }) => [`${table.schema}.${table.name}`, table.rows])).toEqual([
        ['public.customers', 5000],
        ['public.events', 5000],
        ['public.orders', 10000],
      ]);
      expect(contents.body.serverVersion).toMatch(/^15\./);

      const link = await api('POST', `/v1/backups/${backup.id}/download-url`);
      expect(link.status).toBe(200);
      const download = await fetch(link.body.url);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="shop-db-\d{8}T\d{6}Z\.dump"$/);
      const bytes = Buffer.from(await download.arrayBuffer());
      expect(bytes.length).toBe(backup.sizeBytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(backup.sha256);

      const file = join(dataDir, 'downloaded.dump');
      await writeFile(file, bytes);
      restored = await createTestDatabase('e2e_restored');
      await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', postgresUrl(restored.name), file]);
      expect(await tableFingerprints(restored)).toEqual(await tableFingerprints(source));
      expect(Object.keys(await tableFingerprints(source))).toHaveLength(3);

      expect(lifeboat.output()).not.toContain('unused-with-trust-auth');
    } finally {
      expect(await lifeboat.stop()).toBe(0);
    }
  });
});
