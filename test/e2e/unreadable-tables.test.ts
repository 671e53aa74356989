import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type apiClient, type LifeboatProcess, ownedProject, registerService, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../support/postgres.js';

/**
 * A database shaped like a managed one: the service's user owns most tables, but another role
 * owns a few it may not read. The backup must fail naming those objects and the privilege, not
 * with pg_dump's "could not import the requested snapshot" (the row counts used to abort the
 * snapshot's transaction), and succeed once the grant is made.
 */
describe('a database with tables the service user cannot read', () => {
  const reader = `lifeboat_test_reader_${randomBytes(4).toString('hex')}`;
  let source: TestDatabase;
  let dataDir: string;
  let lifeboat: LifeboatProcess;
  let api: ReturnType<typeof apiClient>;
  let serviceId: string;

  beforeAll(async () => {
    source = await createTestDatabase('unreadable');
    await adminQuery(`CREATE ROLE ${reader} LOGIN`);
    await source.query(`
      CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 100);
      CREATE TABLE audit_secrets (id int); INSERT INTO audit_secrets VALUES (1);
      CREATE SEQUENCE invoice_numbers;
      GRANT SELECT ON orders TO ${reader};`);
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-unreadable-'));
    await seedPlatformDatabase(dataDir);
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir });
    const project = await ownedProject(lifeboat, 'managed');
    api = project.api;
    serviceId = await registerService(api, project.projectId, { name: 'managed-db', database: source.name, user: reader });
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await source?.drop();
    await adminQuery(`DROP ROLE IF EXISTS ${reader}`);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('fails with permission_denied naming each object, its owner and the privilege, then succeeds once granted', async () => {
    const failed = await waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
    expect(failed).toMatchObject({ status: 'failed', failure: { code: 'permission_denied' } });
    expect(failed.failure.message).toContain('table public.audit_secrets (SELECT, owned by postgres)');
    expect(failed.failure.message).toContain('sequence public.invoice_numbers (SELECT, owned by postgres)');
    expect(failed.failure.message).toContain(`GRANT SELECT ON public.audit_secrets TO ${reader}`);
    expect(failed.failure.message).not.toMatch(/snapshot/i);

    await source.query(`GRANT SELECT ON audit_secrets TO ${reader}; GRANT SELECT ON SEQUENCE invoice_numbers TO ${reader}`);
    const succeeded = await waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
    expect(succeeded.status).toBe('succeeded');
    const contents = (await api('GET', `/v1/backups/${succeeded.id}/contents`)).body;
    expect(contents.tables.map((table: { name: string; rows: number }) => [table.name, table.rows])).toEqual([
      ['audit_secrets', 1],
      ['orders', 100],
    ]);
  });
});
