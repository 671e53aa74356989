import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { freePort, type PasswordPostgres, startPasswordPostgres } from '../support/password-postgres.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { adminQuery, createTestDatabase, postgresHost, postgresPort, type TestDatabase } from '../support/postgres.js';

/**
 * Connection checks through the real `lifeboat serve`, against real PostgreSQL: the check runs
 * as a job through the orchestrator and the agent, with the pre-flight a backup runs, and answers
 * the same failure codes a backup would fail with. Registration is checked before anything is saved.
 */
describe('connection checks, through lifeboat serve', () => {
  const reader = `lifeboat_test_checker_${randomBytes(4).toString('hex')}`;
  let secured: PasswordPostgres;
  let source: TestDatabase;
  let dataDir: string;
  let lifeboat: LifeboatProcess;
  let api: ReturnType<typeof apiClient>;
  let projectId: string;

  beforeAll(async () => {
    secured = await startPasswordPostgres();
    source = await createTestDatabase('checked');
    await adminQuery(`CREATE ROLE ${reader} LOGIN`);
    await source.query(`CREATE TABLE orders (id int); CREATE TABLE audit_secrets (id int); GRANT SELECT ON orders TO ${reader};`);
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-check-'));
    await seedPlatformDatabase(dataDir);
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir });
    const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    projectId = (await admin('POST', '/v1/projects', { name: 'checked' })).body.id;
    api = apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token);
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await secured?.stop();
    await source?.drop();
    await adminQuery(`DROP ROLE IF EXISTS ${reader}`);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const register = (name: string, connection: Record<string, unknown>, query = '') => api('POST', `/v1/projects/${projectId}/services${query}`, { name, engine: 'postgresql', connection });
  const servicesNamed = async (name: string) => ((await api('GET', `/v1/projects/${projectId}/services`)).body.services as { name: string }[]).filter((service) => service.name === name);

  it('registers a reachable service after checking it, and test-connection answers ok with the versions', async () => {
    const registered = await register('good', { host: secured.host, port: secured.port, database: secured.database, user: secured.user, password: secured.password });
    expect(registered.status).toBe(201);
    const checked = await api('POST', `/v1/services/${registered.body.id}/test-connection`);
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ result: 'ok', failure: null, warnings: [] });
    expect(checked.body.serverVersion).toMatch(/^\d+\.\d+/);
    expect(checked.body.toolVersion).toMatch(/^\d+\.\d+/);
    expect(Date.parse(checked.body.checkedAt)).not.toBeNaN();
    expect(lifeboat.output()).not.toContain(secured.password);
  });

  it('refuses a registration whose password is wrong with 422 auth_failed, saving nothing', async () => {
    const refused = await register('wrong-password', { host: secured.host, port: secured.port, database: secured.database, user: secured.user, password: 'not-the-password' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('auth_failed');
    expect(refused.body.error.message).toContain(`password authentication failed for user "app" at 127.0.0.1:${secured.port}`);
    expect(await servicesNamed('wrong-password')).toEqual([]);
    expect(lifeboat.output()).not.toContain('not-the-password');
  });

  it('answers a refused host with connection_refused, the same code a backup fails with', async () => {
    const port = await freePort();
    const refused = await register('nothing-there', { host: '127.0.0.1', port, database: 'x', user: 'x', password: 'x' });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('connection_refused');
    const skipped = await register('nothing-there', { host: '127.0.0.1', port, database: 'x', user: 'x', password: 'x' }, '?skipCheck=true');
    expect(skipped.status).toBe(201);
    const checked = await api('POST', `/v1/services/${skipped.body.id}/test-connection`);
    expect(checked.body).toMatchObject({ result: 'failed', failure: { code: 'connection_refused' }, serverVersion: null });
    const backup = await waitForBackup(api, (await api('POST', `/v1/services/${skipped.body.id}/backups`)).body.id);
    expect(backup.failure).toEqual(checked.body.failure);
  });

  it('answers a table the user cannot read with permission_denied, as the backup fails', async () => {
    const connection = { host: postgresHost, port: postgresPort, database: source.name, user: reader, password: '' };
    const refused = await register('managed', connection);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('permission_denied');
    expect(refused.body.error.message).toContain('table public.audit_secrets (SELECT, owned by');
    expect(await servicesNamed('managed')).toEqual([]);

    const saved = await register('managed', connection, '?skipCheck=true');
    expect(saved.status).toBe(201);
    const checked = await api('POST', `/v1/services/${saved.body.id}/test-connection`);
    expect(checked.body).toMatchObject({ result: 'failed', failure: { code: 'permission_denied' } });
    const backup = await waitForBackup(api, (await api('POST', `/v1/services/${saved.body.id}/backups`)).body.id);
    expect(backup.failure).toEqual(checked.body.failure);

    await source.query(`GRANT SELECT ON audit_secrets TO ${reader}`);
    expect((await api('POST', `/v1/services/${saved.body.id}/test-connection`)).body).toMatchObject({ result: 'ok' });
  });

  it('refuses a viewer: testing a connection needs the role that may back the service up', async () => {
    const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    const viewer = apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'viewer' })).body.token);
    const [service] = (await api('GET', `/v1/projects/${projectId}/services`)).body.services as { id: string }[];
    expect((await viewer('POST', `/v1/services/${service!.id}/test-connection`)).status).toBe(403);
  });
});
