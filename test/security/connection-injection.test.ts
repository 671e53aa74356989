import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, type TestDatabase } from '../support/postgres.js';
import { type RenamingProxy, startRenamingProxy } from '../support/renaming-proxy.js';

const run = promisify(execFile);

/**
 * The attack of issue #16, against a real `lifeboat serve` and a real PostgreSQL: project A
 * tries to make Lifeboat's tools reach project B's database, by a connection string hidden in
 * a name, by a stored connection from before the rule, and by a proxy that renames the
 * database. Each way is refused, and B's data and audit log stay as they were.
 */
describe('connection-string injection and database switching', () => {
  let platform: TestDatabase;
  let victimDb: TestDatabase;
  let attackerDb: TestDatabase;
  let proxy: RenamingProxy;
  let dataDir: string;
  let lifeboat: LifeboatProcess;
  let admin: ReturnType<typeof apiClient>;
  let attacker: ReturnType<typeof apiClient>;
  let victim: ReturnType<typeof apiClient>;
  let attackerProject: string;
  let victimProject: string;

  const victimRows = async () => (await victimDb.query('select owner from orders order by owner')).rows.map((row) => row.owner);
  const victimAudit = async () => (await victim('GET', `/v1/audit?projectId=${victimProject}`)).body;
  const register = (connection: Record<string, unknown>, name = `svc-${Math.random().toString(36).slice(2, 8)}`) =>
    attacker('POST', `/v1/projects/${attackerProject}/services?skipCheck=true`, { name, engine: 'postgresql', connection: { host: postgresHost, port: postgresPort, user: postgresUser, password: '', ...connection } });

  beforeAll(async () => {
    platform = await createTestDatabase('injection_platform');
    victimDb = await createTestDatabase('injection_victim');
    attackerDb = await createTestDatabase('injection_attacker');
    await victimDb.query("CREATE TABLE orders (owner text); INSERT INTO orders VALUES ('B'), ('B')");
    await attackerDb.query("CREATE TABLE orders (owner text); INSERT INTO orders VALUES ('A')");
    proxy = await startRenamingProxy({ host: postgresHost, port: postgresPort });
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-injection-'));
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_DATABASE_URL: platform.url, LIFEBOAT_SCHEDULE_JITTER_SECONDS: '0' });
    admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    const project = async (name: string) => {
      const id = (await admin('POST', '/v1/projects', { name })).body.id as string;
      return { id, api: apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${id}/tokens`, { role: 'owner' })).body.token) };
    };
    const a = await project('attacker');
    const b = await project('victim');
    attackerProject = a.id;
    attacker = a.api;
    victimProject = b.id;
    victim = b.api;
    const registered = await victim('POST', `/v1/projects/${victimProject}/services?skipCheck=true`, {
      name: 'orders-db',
      engine: 'postgresql',
      connection: { host: postgresHost, port: postgresPort, database: victimDb.name, user: postgresUser, password: '' },
    });
    expect(registered.status).toBe(201);
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await proxy?.close();
    for (const database of [victimDb, attackerDb, platform]) await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses at registration every form of a connection string in a name, writing nothing', async () => {
    const before = (await platform.query('select count(*)::int as n from control.services')).rows[0].n;
    const chain = `dbname=${victimDb.name} host=127.0.0.1,127.0.0.1 port=${proxy.port},5432`;
    const hostile: Record<string, unknown>[] = [
      { database: chain },
      { database: `${victimDb.name} host=127.0.0.1` },
      { database: `postgres://127.0.0.1:5432/${victimDb.name}` },
      { database: `postgresql://${postgresUser}@127.0.0.1/${victimDb.name}` },
      { database: `${attackerDb.name}\u202e` },
      { database: `${attackerDb.name}\u0085` },
      { database: `${attackerDb.name}\nhost=evil` },
      { database: attackerDb.name, user: `${postgresUser} dbname=${victimDb.name}` },
      { database: attackerDb.name, user: `${postgresUser}\u0000` },
      { database: attackerDb.name, host: '/var/run/postgresql' },
      { database: attackerDb.name, host: '127.0.0.1,127.0.0.1' },
      { database: attackerDb.name, host: `127.0.0.1 port=${proxy.port}` },
    ];
    for (const connection of hostile) {
      const answer = await register(connection);
      expect(answer.status, JSON.stringify(connection)).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
      expect(answer.body.error.message).toMatch(/connection\.(database|user|host)/);
    }
    expect((await platform.query('select count(*)::int as n from control.services')).rows[0].n).toBe(before);
  });

  it('refuses a restore into a new database whose name is not a plain name', async () => {
    const service = (await register({ database: attackerDb.name })).body;
    const backup = await waitForBackup(attacker, (await attacker('POST', `/v1/services/${service.id}/backups`)).body.id);
    expect(backup.status).toBe('succeeded');
    for (const database of [`x host=127.0.0.1`, `dbname=${victimDb.name}`, 'a\u202eb']) {
      const answer = await attacker('POST', `/v1/backups/${backup.id}/restores`, { target: { kind: 'new_database', database } });
      expect(answer.status, database).toBe(400);
    }
  });

  it('blocks a stored connection the rule refuses: shown, logged at start-up, and no job of it reaches a database', async () => {
    const service = (await register({ database: attackerDb.name }, 'legacy')).body;
    const good = await waitForBackup(attacker, (await attacker('POST', `/v1/services/${service.id}/backups`)).body.id);
    expect(good.status).toBe('succeeded');
    // As if registered before the rule existed (which also allowed at most 63 characters).
    const chain = `dbname=${victimDb.name} port=${postgresPort}`;
    await platform.query('update control.services set database_name = $1 where id = $2', [chain, service.id]);

    await lifeboat.stop();
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_DATABASE_URL: platform.url, LIFEBOAT_SCHEDULE_JITTER_SECONDS: '0' });
    admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    attacker = apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${attackerProject}/tokens`, { role: 'owner' })).body.token);
    victim = apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${victimProject}/tokens`, { role: 'owner' })).body.token);
    expect(lifeboat.output()).toMatch(new RegExp(`service legacy \\(${service.id}\\) is blocked`));
    const auditBefore = await victimAudit();

    const shown = await attacker('GET', `/v1/services/${service.id}`);
    expect(shown.body.blocked).toMatchObject({ code: 'target_not_allowed' });
    expect(shown.body.blocked.message).toContain("must not contain '='");

    const backup = await attacker('POST', `/v1/services/${service.id}/backups`);
    expect(backup.status).toBe(409);
    expect(backup.body.error.code).toBe('service_blocked');
    for (const target of [{ kind: 'in_place', confirm: 'legacy', safetyBackup: false }, { kind: 'new_database', database: 'copy_of_b' }]) {
      const restore = await attacker('POST', `/v1/backups/${good.id}/restores`, { target });
      expect(restore.status, target.kind).toBe(409);
      expect(restore.body.error.code).toBe('service_blocked');
    }

    // The scheduler does not ask: its backup reaches the orchestrator, which refuses to start it.
    await platform.query(
      "insert into control.schedules (service_id, project_id, cron, timezone, retention, next_run_at) values ($1, $2, '0 * * * *', 'UTC', '{}', now() - interval '1 second')",
      [service.id, attackerProject],
    );
    let scheduled: { id: string } | undefined;
    for (let tries = 0; tries < 60 && !scheduled; tries++) {
      scheduled = (await attacker('GET', `/v1/services/${service.id}/backups`)).body.backups.find((row: { trigger: string }) => row.trigger === 'scheduled');
      if (!scheduled) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(scheduled).toBeDefined();
    const refused = await waitForBackup(attacker, scheduled!.id);
    expect(refused).toMatchObject({ status: 'failed', failure: { code: 'target_not_allowed' } });

    expect(await victimRows()).toEqual(['B', 'B']);
    expect(await victimAudit()).toEqual(auditBefore);
  });

  it('an agent given such a connection directly refuses it before any tool runs', async () => {
    const cli = resolve(import.meta.dirname, '../../bin/lifeboat.js');
    const job = {
      kind: 'restore',
      jobId: 'job_forged',
      restoreId: 'rst_forged',
      connection: { host: postgresHost, port: postgresPort, database: `dbname=${victimDb.name}`, user: postgresUser },
      artifact: { key: 'none', sizeBytes: 0, sha256: '0'.repeat(64) },
      target: { kind: 'in_place' },
    };
    const outcome = await run(process.execPath, [cli, 'agent', 'restore'], {
      env: { PATH: process.env.PATH ?? '', LIFEBOAT_JOB: JSON.stringify(job), LIFEBOAT_STORAGE_URL: `file://${dataDir}/forged` },
    }).catch((error: { stdout: string }) => error);
    const report = JSON.parse(outcome.stdout.trim().split('\n').at(-1)!);
    expect(report).toMatchObject({ outcome: 'failed', failure: { code: 'target_not_allowed' } });
    expect(await victimRows()).toEqual(['B', 'B']);
  });

  it('a proxy that renames the database is caught by the pre-flight: no backup of B, no restore over B', async () => {
    const service = (await register({ host: '127.0.0.1', port: proxy.port, database: attackerDb.name }, 'proxied')).body;
    const good = await waitForBackup(attacker, (await attacker('POST', `/v1/services/${service.id}/backups`)).body.id);
    expect(good.status).toBe('succeeded');
    const auditBefore = await victimAudit();

    proxy.rename({ from: attackerDb.name, to: victimDb.name });
    try {
      const stolen = await waitForBackup(attacker, (await attacker('POST', `/v1/services/${service.id}/backups`)).body.id);
      expect(stolen).toMatchObject({ status: 'failed', failure: { code: 'target_mismatch' } });
      expect(stolen.failure.message).toContain(`answered as database "${victimDb.name}"`);

      const restore = await attacker('POST', `/v1/backups/${good.id}/restores`, { target: { kind: 'in_place', confirm: 'proxied', safetyBackup: false } });
      expect(restore.status).toBe(202);
      let ended: { status: string; failure: { code: string } | null } | undefined;
      for (let tries = 0; tries < 120; tries++) {
        const read = (await attacker('GET', `/v1/restores/${restore.body.id}?waitSeconds=5`)).body;
        if (['succeeded', 'failed', 'canceled'].includes(read.status)) {
          ended = read;
          break;
        }
      }
      expect(ended).toMatchObject({ status: 'failed', failure: { code: 'target_mismatch' } });
    } finally {
      proxy.rename(undefined);
    }
    expect(await victimRows()).toEqual(['B', 'B']);
    expect(await victimAudit()).toEqual(auditBefore);
  });
});
