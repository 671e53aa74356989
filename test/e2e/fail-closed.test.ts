import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat } from '../support/lifeboat-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/** Invariant 6 with the real processes: when backups cannot work, none is accepted and the API says why. */
describe('failing closed', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function refuseABackup(lifeboat: LifeboatProcess, adminToken: string, platform: TestDatabase): Promise<{ reason: string }> {
    const admin = apiClient(lifeboat.url, adminToken);
    const project = await admin('POST', '/v1/projects', { name: 'closed' });
    const service = await admin('POST', `/v1/projects/${project.body.id}/services?skipCheck=true`, {
      name: 'closed-db',
      engine: 'postgresql',
      connection: { host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres', password: '' },
    });
    const capabilities = await admin('GET', '/v1/capabilities');
    expect(capabilities.body.backups.available).toBe(false);
    const refused = await admin('POST', `/v1/services/${service.body.id}/backups`);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('backups_unavailable');
    expect(refused.body.error.message).toContain(capabilities.body.backups.reason);
    const rows = await platform.query('SELECT count(*)::int AS n FROM control.backups');
    const outbox = await platform.query('SELECT count(*)::int AS n FROM control.outbox');
    expect([rows.rows[0].n, outbox.rows[0].n]).toEqual([0, 0]);
    return { reason: capabilities.body.backups.reason };
  }

  it('a split `lifeboat api` without storage starts, explains, and refuses backups', async () => {
    const platform = await createTestDatabase('closed_api');
    cleanups.push(() => platform.drop());
    const dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-closed-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const adminToken = 'lba_fail-closed-admin-token-0123456789';
    const lifeboat = await startLifeboat('api', {
      LIFEBOAT_DATA_DIR: dataDir,
      LIFEBOAT_DATABASE_URL: platform.url,
      LIFEBOAT_SECRET_KEY: 'a-secret-key-for-the-fail-closed-test-0123456789',
      LIFEBOAT_ADMIN_TOKEN: adminToken,
      // The service it registers lives on this machine's PostgreSQL.
      LIFEBOAT_SERVICE_NETWORKS: '127.0.0.1/32',
    });
    cleanups.push(() => lifeboat.stop());
    const { reason } = await refuseABackup(lifeboat, adminToken, platform);
    expect(reason).toBe('object storage is not configured (set LIFEBOAT_STORAGE_URL)');
  });

  it('`lifeboat serve` with LIFEBOAT_KILL_SWITCH=1 refuses backups and writes no artifact', async () => {
    const platform = await createTestDatabase('closed_serve');
    cleanups.push(() => platform.drop());
    const dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-closed-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_DATABASE_URL: platform.url, LIFEBOAT_KILL_SWITCH: '1' });
    cleanups.push(() => lifeboat.stop());
    const { reason } = await refuseABackup(lifeboat, lifeboat.adminToken!, platform);
    expect(reason).toBe('the kill switch is engaged: engaged by configuration (LIFEBOAT_KILL_SWITCH=1)');
    expect(await readdir(join(dataDir, 'artifacts')).catch(() => [])).toEqual([]);
  });

  it('refuses to start with a bad configuration, one line per problem', async () => {
    await expect(
      startLifeboat('orchestrator', { LIFEBOAT_PORT: 'eighty', LIFEBOAT_DATABASE_URL: 'mysql://nope', LIFEBOAT_DOWNLOAD_URL_TTL_SECONDS: '-5' }, { timeoutMs: 20_000 }),
    ).rejects.toThrow(/LIFEBOAT_PORT[^\n]*\n[^\n]*LIFEBOAT_DATABASE_URL[^\n]*must be a postgres:\/\/ URL\n[^\n]*LIFEBOAT_DOWNLOAD_URL_TTL_SECONDS/);
  });
});
