import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type apiClient, type LifeboatProcess, ownedProject, registerService, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/** A `lifeboat serve` (with `env`) backing up a fresh database with one table, `orders`. */
function servedOrders(label: string, env: Record<string, string> = {}) {
  const fixture = {} as { source: TestDatabase; dataDir: string; lifeboat: LifeboatProcess; api: ReturnType<typeof apiClient>; serviceId: string };
  beforeAll(async () => {
    fixture.source = await createTestDatabase(label);
    await fixture.source.query('CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)');
    fixture.dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-lock-'));
    await seedPlatformDatabase(fixture.dataDir);
    fixture.lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: fixture.dataDir, ...env });
    const project = await ownedProject(fixture.lifeboat, label.replaceAll('_', '-'));
    fixture.api = project.api;
    fixture.serviceId = await registerService(fixture.api, project.projectId, { name: 'orders', database: fixture.source.name });
  });
  afterAll(async () => {
    await fixture.lifeboat?.stop();
    await fixture.source?.drop();
    if (fixture.dataDir) await rm(fixture.dataDir, { recursive: true, force: true });
  });
  return fixture;
}

/** Runs `work` while another session (whose pid `work` is given) holds `orders` in ACCESS EXCLUSIVE mode. */
async function whileLocked(source: TestDatabase, work: (holderPid: number, release: () => Promise<void>) => Promise<void>): Promise<void> {
  const holder = new pg.Client({ connectionString: source.url });
  await holder.connect();
  try {
    const holderPid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    await work(holderPid, async () => {
      await holder.query('ROLLBACK');
    });
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    await holder.end();
  }
}

const lifeboatSessions = async (source: TestDatabase, where = "application_name like 'lifeboat-%'") =>
  (await source.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and ${where}`)).rows[0].n as number;

/**
 * A session of the service's own users holding a lock must not hold a backup job (and its slot)
 * until the six-hour deadline: the job gives up after LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS with
 * `lock_timeout`, naming what it waited for, and leaves no session behind.
 */
describe('a held lock fails the backup with lock_timeout, in seconds', () => {
  const served = servedOrders('lock_timeout', { LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS: '2' });

  it('gives up on an exclusive lock after the configured wait, not at the deadline', async () => {
    const { api, serviceId, source } = served;
    await whileLocked(source, async () => {
      const started = Date.now();
      const backup = await waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
      const took = Date.now() - started;
      expect(backup).toMatchObject({ status: 'failed', failure: { code: 'lock_timeout' } });
      expect(backup.failure.message).toContain('(waiting for public.orders)');
      // Two seconds of waiting plus a job's start and end; the deadline is six hours.
      expect(took).toBeLessThan(45_000);
      expect(await lifeboatSessions(source)).toBe(0);
    });
    // Once the lock is gone, the next backup goes through.
    const after = await waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
    expect(after.status).toBe('succeeded');
  });
});

describe('canceling a backup that waits on a lock', () => {
  // The default wait (300 s): only the cancel can end the waiting sessions within this test.
  const served = servedOrders('lock_cancel');

  it('ends its sessions on the source at once, leaving none waiting after canceled', async () => {
    const { api, serviceId, source } = served;
    await whileLocked(source, async () => {
      const backupId = (await api('POST', `/v1/services/${serviceId}/backups`)).body.id as string;
      // Wait until the backup's sessions are there, waiting on the lock.
      const waiting = () => lifeboatSessions(source, "application_name like 'lifeboat-backup%' and wait_event_type = 'Lock'");
      for (let tries = 0; tries < 200 && (await waiting()) === 0; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await waiting()).toBeGreaterThan(0);
      expect((await api('POST', `/v1/backups/${backupId}/cancel`)).status).toBe(202);
      expect(await waitForBackup(api, backupId)).toMatchObject({ status: 'canceled' });
      const backupSessions = () => lifeboatSessions(source, "application_name like 'lifeboat-backup%'");
      for (let tries = 0; tries < 50 && (await backupSessions()) > 0; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await backupSessions()).toBe(0);
    });
  });
});

describe('a backup waiting on a lock says so in its live state', () => {
  const served = servedOrders('lock_wait_shown');

  it('shows the table, the holder\'s pid and since when; clears it once the lock is released', async () => {
    const { api, serviceId, source } = served;
    let backupId = '';
    await whileLocked(source, async (holderPid, release) => {
      backupId = (await api('POST', `/v1/services/${serviceId}/backups`)).body.id as string;
      let view: { status: string; lockWait: { relation: string; mode: string; heldBy: number; since: string; message: string } | null } | undefined;
      for (let tries = 0; tries < 40; tries++) {
        view = (await api('GET', `/v1/backups/${backupId}?waitSeconds=1`)).body;
        if (view?.lockWait) break;
      }
      expect(view?.status).toBe('running');
      expect(view?.lockWait).toMatchObject({ relation: 'orders', mode: 'ACCESS SHARE', heldBy: holderPid });
      expect(Date.parse(view!.lockWait!.since)).toBeGreaterThan(Date.now() - 60_000);
      expect(view?.lockWait?.message).toContain(`waiting for a lock on "orders" held by pid ${holderPid} since `);
      await release();
    });
    const done = await waitForBackup(api, backupId);
    expect(done).toMatchObject({ status: 'succeeded', lockWait: null });
  });
});
