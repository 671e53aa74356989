import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { type PasswordPostgres, startPasswordPostgres } from '../support/password-postgres.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';
import { slowPgDump } from '../support/slow-pg-dump.js';

/**
 * Invariant 3 when the platform database goes away: a backup whose job ends while PostgreSQL
 * is restarting must still be recorded as it ended once the database is back (the launcher
 * retries the write; until then the outcome is known only in memory), and the process that
 * ran it must survive the restart. Until now only the chaos harness covered this path.
 */
describe('a platform database restart while a backup runs', () => {
  let platform: PasswordPostgres;
  let source: TestDatabase;
  let dataDir: string;
  let lifeboat: LifeboatProcess | undefined;

  beforeAll(async () => {
    platform = await startPasswordPostgres();
    await promisify(execFile)('psql', [platform.superuserUrl('postgres'), '-qc', 'CREATE DATABASE lifeboat']);
    source = await createTestDatabase('platform_restart_source');
    await seedSampleData(source, 500);
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-platform-restart-'));
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await source?.drop();
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('records the outcome of a job that ended while the database was down', { timeout: 90_000 }, async () => {
    const dump = await slowPgDump(dataDir);
    await dump.setDelay(2);
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(dataDir, 'serve'), LIFEBOAT_DATABASE_URL: platform.superuserUrl('lifeboat'), PATH: dump.path });
    const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    const projectId = (await admin('POST', '/v1/projects', { name: 'restarts' })).body.id as string;
    const api = apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token as string);
    const service = await api('POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
      name: 'restart-source',
      engine: 'postgresql',
      connection: { host: postgresHost, port: postgresPort, database: source.name, user: postgresUser, password: '' },
    });
    const asked = await api('POST', `/v1/services/${service.body.id as string}/backups`);
    expect(asked.status).toBe(202);
    const backupId = asked.body.id as string;
    for (let read = await api('GET', `/v1/backups/${backupId}`); read.body.status !== 'running'; read = await api('GET', `/v1/backups/${backupId}`)) {
      expect(['requested', 'queued'], lifeboat.output()).toContain(read.body.status);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Down for longer than the dump's two seconds: the agent reports while nothing can be written.
    await platform.restart({ downForMs: 5000 });

    const backup = await waitForBackup(api, backupId);
    expect(backup.status, lifeboat.output()).toBe('succeeded');
    expect(lifeboat.output()).toMatch(/could not record the outcome of job \S+; retrying/);
    expect(lifeboat.child.exitCode, lifeboat.output()).toBeNull();
  });
});
