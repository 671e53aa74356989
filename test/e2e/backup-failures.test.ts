import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { freePort, type PasswordPostgres, startPasswordPostgres } from '../support/password-postgres.js';
import { postgresHost, postgresPort, postgresUser } from '../support/postgres.js';

/**
 * Bad input through the real `lifeboat serve`: each mistake a user can make gets its documented
 * code and a message they can act on, and leaves nothing half-written.
 */
describe('backups that cannot work, through lifeboat serve', () => {
  let secured: PasswordPostgres;
  let dataDir: string;
  let lifeboat: LifeboatProcess;
  let api: ReturnType<typeof apiClient>;
  let projectId: string;

  beforeAll(async () => {
    secured = await startPasswordPostgres();
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-failures-'));
    await seedPlatformDatabase(dataDir);
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir });
    const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    projectId = (await admin('POST', '/v1/projects', { name: 'mistakes' })).body.id;
    api = apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token);
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await secured?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function backUp(name: string, connection: Record<string, unknown>) {
    const service = await api('POST', `/v1/projects/${projectId}/services?skipCheck=true`, { name, engine: 'postgresql', connection });
    expect(service.status).toBe(201);
    const created = await api('POST', `/v1/services/${service.body.id}/backups`);
    expect(created.status).toBe(202);
    return waitForBackup(api, created.body.id);
  }

  async function artifactsOf(lifeboatDataDir: string): Promise<string[]> {
    return (await readdir(join(lifeboatDataDir, 'artifacts'), { recursive: true }).catch(() => [])).filter((entry) => /\.(dump|json)|partial/.test(entry));
  }

  it('wrong password → auth_failed, and the password appears nowhere', async () => {
    const backup = await backUp('wrong-password', { host: secured.host, port: secured.port, database: secured.database, user: secured.user, password: 'not-the-password' });
    expect(backup.status).toBe('failed');
    expect(backup.failure).toEqual({ code: 'auth_failed', message: `password authentication failed for user "app" at 127.0.0.1:${secured.port}; check the service's user and password` });
    expect(lifeboat.output()).not.toContain('not-the-password');
  });

  it('right password → succeeded (the password reaches pg_dump)', async () => {
    const backup = await backUp('right-password', { host: secured.host, port: secured.port, database: secured.database, user: secured.user, password: secured.password });
    expect(backup.status).toBe('succeeded');
    expect(lifeboat.output()).not.toContain(secured.password);
  });

  it('unreachable host → connection_refused; unknown database → database_not_found', async () => {
    const refused = await backUp('nothing-there', { host: '127.0.0.1', port: await freePort(), database: 'x', user: 'x', password: 'x' });
    expect(refused.failure.code).toBe('connection_refused');
    const missing = await backUp('no-database', { host: postgresHost, port: postgresPort, database: 'no_such_database', user: postgresUser, password: '' });
    expect(missing.failure.code).toBe('database_not_found');
    expect(missing.failure.message).toContain('no_such_database');
  });

  it('unknown service, malformed body, wrong engine → their codes, nothing written', async () => {
    expect((await api('POST', '/v1/services/svc_0000000000000000/backups')).body.error.code).toBe('not_found');
    expect((await api('POST', '/v1/services/not-an-id/backups')).body.error.code).toBe('invalid_request');
    const malformed = await fetch(`${lifeboat.url}/v1/projects/${projectId}/services`, {
      method: 'POST',
      headers: { authorization: `Bearer ${lifeboat.adminToken}`, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    const engine = await api('POST', `/v1/projects/${projectId}/services?skipCheck=true`, { name: 'cache', engine: 'redis', connection: { host: 'h', database: 'd', user: 'u', password: 'p' } });
    expect(engine.body.error.code).toBe('unsupported_engine');
    const services = await api('GET', `/v1/projects/${projectId}/services`);
    expect(services.body.services.map((s: { name: string }) => s.name)).not.toContain('cache');
  });

  it('leaves no artifact for any failed backup', async () => {
    const files = await artifactsOf(dataDir);
    // Only the one successful backup has files: its dump and its manifest.
    expect(files.filter((f) => f.endsWith('.dump'))).toHaveLength(1);
    expect(files.filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('an old pg_dump → dump_tool_version_mismatch with both versions', async () => {
    const bin = join(dataDir, 'old-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n');
    await chmod(join(bin, 'pg_dump'), 0o755);
    const otherDir = await mkdtemp(join(tmpdir(), 'lifeboat-old-pgdump-'));
    await seedPlatformDatabase(otherDir);
    const old = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: otherDir, PATH: `${bin}:${process.env.PATH}` });
    try {
      const admin = apiClient(old.url, old.adminToken!);
      const project = (await admin('POST', '/v1/projects', { name: 'old' })).body.id;
      const service = await admin('POST', `/v1/projects/${project}/services?skipCheck=true`, {
        name: 'old-tool',
        engine: 'postgresql',
        connection: { host: postgresHost, port: postgresPort, database: 'postgres', user: postgresUser, password: '' },
      });
      const created = await admin('POST', `/v1/services/${service.body.id}/backups`);
      const backup = await waitForBackup(admin, created.body.id);
      expect(backup.failure.code).toBe('dump_tool_version_mismatch');
      expect(backup.failure.message).toMatch(/pg_dump 9\.6 is older than the server \(PostgreSQL 15\.\d+\)/);
      expect(await artifactsOf(otherDir)).toEqual([]);
    } finally {
      await old.stop();
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});
