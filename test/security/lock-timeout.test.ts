import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type apiClient, type LifeboatProcess, ownedProject, registerService, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/**
 * A session of the service's own users holding a lock must not hold a backup job (and its slot)
 * until the six-hour deadline: the job gives up after LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS with
 * `lock_timeout`, naming what it waited for, and leaves no session behind.
 */
describe('a held lock fails the backup with lock_timeout, in seconds', () => {
  let source: TestDatabase;
  let dataDir: string;
  let lifeboat: LifeboatProcess;
  let api: ReturnType<typeof apiClient>;
  let serviceId: string;

  beforeAll(async () => {
    source = await createTestDatabase('lock_timeout');
    await source.query("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)");
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-lock-'));
    await seedPlatformDatabase(dataDir);
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS: '2' });
    const project = await ownedProject(lifeboat, 'locks');
    api = project.api;
    serviceId = await registerService(api, project.projectId, { name: 'orders', database: source.name });
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await source?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('gives up on an exclusive lock after the configured wait, not at the deadline', async () => {
    const holder = new pg.Client({ connectionString: source.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const backup = await waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
      const took = Date.now() - started;
      expect(backup).toMatchObject({ status: 'failed', failure: { code: 'lock_timeout' } });
      expect(backup.failure.message).toContain('(waiting for public.orders)');
      // Two seconds of waiting plus a job's start and end; the deadline is six hours.
      expect(took).toBeLessThan(45_000);
      const left = await source.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'lifeboat-%'");
      expect(left.rows[0].n).toBe(0);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    // Once the lock is gone, the next backup goes through.
    const after = await waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
    expect(after.status).toBe('succeeded');
  });
});

describe('canceling a backup that waits on a lock', () => {
  let source: TestDatabase;
  let dataDir: string;
  let lifeboat: LifeboatProcess;
  let api: ReturnType<typeof apiClient>;
  let serviceId: string;

  beforeAll(async () => {
    source = await createTestDatabase('lock_cancel');
    await source.query('CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)');
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-lock-cancel-'));
    await seedPlatformDatabase(dataDir);
    // The default wait (300 s): only the cancel can end the waiting sessions within this test.
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir });
    const project = await ownedProject(lifeboat, 'lock-cancel');
    api = project.api;
    serviceId = await registerService(api, project.projectId, { name: 'orders', database: source.name });
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await source?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const backupSessions = async () =>
    (await source.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'lifeboat-backup%'")).rows[0].n as number;

  it('ends its sessions on the source at once, leaving none waiting after canceled', async () => {
    const holder = new pg.Client({ connectionString: source.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
      const backupId = (await api('POST', `/v1/services/${serviceId}/backups`)).body.id as string;
      // Wait until the backup's sessions are there, waiting on the lock.
      const waiting = async () =>
        (await source.query("select count(*)::int as n from pg_stat_activity where application_name like 'lifeboat-backup%' and wait_event_type = 'Lock'")).rows[0].n as number;
      for (let tries = 0; tries < 200 && (await waiting()) === 0; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await waiting()).toBeGreaterThan(0);
      expect((await api('POST', `/v1/backups/${backupId}/cancel`)).status).toBe(202);
      expect(await waitForBackup(api, backupId)).toMatchObject({ status: 'canceled' });
      for (let tries = 0; tries < 50 && (await backupSessions()) > 0; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await backupSessions()).toBe(0);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });
});
