import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type apiClient, type LifeboatProcess, ownedProject, registerService, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { adminQuery, createTestDatabase, postgresHost, postgresPort, postgresUser, queryDatabase, type TestDatabase } from '../support/postgres.js';

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

/**
 * The same kind of database, with settings that let the backup go on: `skipUnreadable` leaves
 * out (and lists) what the user may not read, `excludeTables` what the operator names; and the
 * contents list more than tables.
 */
describe('backups that leave objects out, and what their contents list', () => {
  const reader = `lifeboat_test_skipper_${randomBytes(4).toString('hex')}`;
  let source: TestDatabase;
  let dataDir: string;
  let lifeboat: LifeboatProcess;
  let api: ReturnType<typeof apiClient>;
  let projectId: string;
  const created: string[] = [];

  beforeAll(async () => {
    source = await createTestDatabase('skipping');
    await adminQuery(`CREATE ROLE ${reader} LOGIN CREATEDB`);
    await source.query(`
      CREATE EXTENSION citext;
      CREATE TABLE orders (id serial PRIMARY KEY, note citext); INSERT INTO orders (note) SELECT 'n' || g FROM generate_series(1, 50) g;
      CREATE TABLE "audit*log" (id int); INSERT INTO "audit*log" VALUES (1);
      CREATE TABLE "auditXlog" (id int); INSERT INTO "auditXlog" VALUES (2);
      CREATE SEQUENCE private_numbers;
      CREATE VIEW recent_orders AS SELECT id FROM orders WHERE id > 40;
      CREATE MATERIALIZED VIEW order_count AS SELECT count(*) AS n FROM orders;
      CREATE FUNCTION order_total() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM orders';
      CREATE PROCEDURE tidy(days int) LANGUAGE sql AS 'SELECT 1';
      SELECT lo_from_bytea(0, 'secret');
      GRANT SELECT ON orders, "auditXlog", recent_orders, order_count TO ${reader};
      GRANT SELECT, USAGE ON SEQUENCE orders_id_seq TO ${reader};`);
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-skipping-'));
    await seedPlatformDatabase(dataDir);
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir });
    const project = await ownedProject(lifeboat, 'skipping');
    api = project.api;
    projectId = project.projectId;
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await source?.drop();
    for (const database of created) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await adminQuery(`DROP ROLE IF EXISTS ${reader}`);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function register(name: string, settings: { skipUnreadable?: boolean; excludeTables?: string[] }, user = reader): Promise<string> {
    // skipCheck: a default service must register, for its backup to be the thing that fails.
    const answer = await api('POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
      name,
      engine: 'postgresql',
      connection: { host: postgresHost, port: postgresPort, database: source.name, user, password: '' },
      ...settings,
    });
    expect(answer.status).toBe(201);
    return answer.body.id as string;
  }

  async function backUp(serviceId: string) {
    return waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
  }

  async function manifestOf(backup: { projectId: string; serviceId: string; id: string }) {
    const key = `projects/${backup.projectId}/services/${backup.serviceId}/backups/${backup.id}/manifest.json`;
    return JSON.parse(await readFile(join(dataDir, 'artifacts', ...key.split('/')), 'utf8'));
  }

  async function dumpedObjects(backup: { projectId: string; serviceId: string; id: string }): Promise<string> {
    const key = `projects/${backup.projectId}/services/${backup.serviceId}/backups/${backup.id}/backup.dump`;
    return (await promisify(execFile)('pg_restore', ['--list', join(dataDir, 'artifacts', ...key.split('/'))])).stdout;
  }

  it('fails by default, naming the table, the sequence, the large object and the privilege', async () => {
    const serviceId = await register('strict', {});
    expect((await api('GET', `/v1/services/${serviceId}`)).body).toMatchObject({ skipUnreadable: false, excludeTables: [] });
    const failed = await backUp(serviceId);
    expect(failed).toMatchObject({ status: 'failed', failure: { code: 'permission_denied' } });
    expect(failed.failure.message).toContain('table public.audit*log (SELECT, owned by postgres)');
    expect(failed.failure.message).toContain('sequence public.private_numbers (SELECT, owned by postgres)');
    expect(failed.failure.message).toMatch(/large object \d+ \(SELECT, owned by postgres\)/);
  });

  it('with skipUnreadable, succeeds, lists what it left out in the manifest and contents, and restores', async () => {
    const serviceId = await register('lenient', { skipUnreadable: true });
    expect((await api('GET', `/v1/services/${serviceId}`)).body).toMatchObject({ skipUnreadable: true, excludeTables: [] });
    const backup = await backUp(serviceId);
    expect(backup.status).toBe('succeeded');
    const expected = [
      { kind: 'sequence', schema: 'public', name: 'private_numbers', reason: 'unreadable' },
      { kind: 'table', schema: 'public', name: 'audit*log', reason: 'unreadable' },
      { kind: 'large_objects', schema: null, name: '1 large object', reason: 'unreadable' },
    ];
    const contents = (await api('GET', `/v1/backups/${backup.id}/contents`)).body;
    expect(contents.excluded).toMatchObject(expected);
    expect((await manifestOf(backup)).excluded).toMatchObject(expected);
    expect(contents.tables.map((table: { name: string }) => table.name)).toEqual(['auditXlog', 'orders']);
    const listed = await dumpedObjects(backup);
    expect(listed).toContain('TABLE DATA public auditXlog');
    expect(listed).not.toContain('audit*log');
    expect(listed).not.toContain('private_numbers');
    expect(listed).not.toContain('BLOB');

    const database = `${source.name}_lenient`;
    created.push(database);
    const requested = await api('POST', `/v1/backups/${backup.id}/restores`, { target: { kind: 'new_database', database } });
    expect(requested.status).toBe(202);
    let restore;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
      restore = (await api('GET', `/v1/restores/${requested.body.id}`)).body;
      if (['succeeded', 'failed', 'canceled'].includes(restore.status)) break;
    }
    expect(restore).toMatchObject({ status: 'succeeded' });
    const restored = await queryDatabase(database, `SELECT (SELECT count(*)::int FROM orders) AS orders, (SELECT id FROM "auditXlog") AS x, to_regclass('"audit*log"') IS NULL AS left_out`);
    expect(restored.rows[0]).toEqual({ orders: 50, x: 2, left_out: true });
  });

  it('with excludeTables, leaves the named table out of the dump, matched exactly', async () => {
    const serviceId = await register('trimmed', { excludeTables: ['public.audit*log', 'recent_orders'] }, postgresUser);
    expect((await api('GET', `/v1/services/${serviceId}`)).body).toMatchObject({ excludeTables: ['public.audit*log', 'recent_orders'] });
    const backup = await backUp(serviceId);
    expect(backup.status).toBe('succeeded');
    const listed = await dumpedObjects(backup);
    expect(listed).not.toContain('audit*log');
    expect(listed).not.toContain('recent_orders');
    expect(listed).toContain('TABLE DATA public auditXlog');
    const contents = (await api('GET', `/v1/backups/${backup.id}/contents`)).body;
    expect(contents.excluded).toEqual([
      { kind: 'table', schema: 'public', name: 'audit*log', reason: 'configured' },
      { kind: 'view', schema: 'public', name: 'recent_orders', reason: 'configured' },
    ]);
  });

  it('lists views, materialized views, functions, sequences, large objects, extensions and roles', async () => {
    const serviceId = await register('whole', {}, postgresUser);
    const backup = await backUp(serviceId);
    expect(backup.status).toBe('succeeded');
    const contents = (await api('GET', `/v1/backups/${backup.id}/contents`)).body;
    expect(contents.views).toEqual([{ schema: 'public', name: 'recent_orders' }]);
    expect(contents.materializedViews).toEqual([{ schema: 'public', name: 'order_count' }]);
    expect(contents.functions).toEqual([
      { schema: 'public', name: 'order_total', kind: 'function', arguments: '' },
      { schema: 'public', name: 'tidy', kind: 'procedure', arguments: 'IN days integer' },
    ]);
    expect(contents.sequences).toEqual([
      { schema: 'public', name: 'orders_id_seq' },
      { schema: 'public', name: 'private_numbers' },
    ]);
    expect(contents.largeObjects).toBe(1);
    expect(contents.extensions.map((extension: { name: string }) => extension.name)).toEqual(['citext', 'plpgsql']);
    expect(contents.excluded).toEqual([]);
    // Owners: 3 tables, 2 sequences, a view, a materialized view, 2 routines, a large object; and the schema public (PostgreSQL 15 on).
    expect(contents.roles).toContainEqual({ name: 'postgres', owns: 10, granted: 0 });
    expect(contents.roles).toContainEqual({ name: 'pg_database_owner', owns: 1, granted: 0 });
    expect(contents.roles).toContainEqual({ name: reader, owns: 0, granted: 5 });
  });
});
