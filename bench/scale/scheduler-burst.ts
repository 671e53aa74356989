/**
 * Part (a) of bench/scale.ts: thousands of services whose schedules fall on the same minute,
 * fired by two real `lifeboat api` replicas (PostgreSQL platform database, NATS bus, file://
 * storage). Measures the time from the minute boundary until every backup is requested and
 * checks that each service got exactly one backup, one schedule run, one command and one audit
 * entry for the slot. The baseline is the same backup + outbox + audit rows written straight
 * through `pg`, one transaction each, in one loop.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { envelope } from '../../src/contracts/index.js';
import { nextFireAfter } from '../../src/control-plane/schedule-times.js';
import { type LifeboatProcess, startLifeboat } from '../../test/support/lifeboat-process.js';
import { startNatsServer } from '../../test/support/nats-server.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { progress, sleep } from '../figures.js';

export interface BurstRun {
  /** From the minute boundary until the last backup of the slot was committed. */
  secondsToAllRequested: number;
  /** From the minute boundary until the first slot was fired (the scheduler polls every few seconds). */
  secondsToFirstRequest: number;
  requestsPerSecond: number;
  rawInsertsPerSecond: number;
  /** Set in the failover variant: when the leader was killed, counted from the minute boundary. */
  leaderKilledAfterSeconds?: number;
}

const projectId = 'prj_scalebench000000';
const adminToken = 'lba_bench-admin-token-0123456789abcdef';
const leaderLockHolders = `SELECT count(*)::int AS holders FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() AND a.application_name LIKE 'lifeboat-leader-%'`;

export async function measureSchedulerBurst(options: { services: number; runs: number; failoverRuns: number }): Promise<{ runs: BurstRun[]; failovers: BurstRun[] }> {
  const platform = await createTestDatabase('bench_scale_scheduler');
  const nats = await startNatsServer();
  const work = await mkdtemp(join(tmpdir(), 'lifeboat-bench-scale-'));
  const db = new pg.Pool({ connectionString: platform.url, max: 2 });
  const replicaEnv = (name: string) => ({
    LIFEBOAT_DATA_DIR: join(work, name),
    LIFEBOAT_DATABASE_URL: platform.url,
    LIFEBOAT_BUS_URL: nats.url,
    LIFEBOAT_STORAGE_URL: `file://${join(work, 'artifacts')}`,
    LIFEBOAT_SECRET_KEY: 'bench secret key, long enough for the config 0123456789',
    LIFEBOAT_ADMIN_TOKEN: adminToken,
    LIFEBOAT_SCHEDULE_JITTER_SECONDS: '0',
    LIFEBOAT_LOG_LEVEL: 'warn',
  });
  // Started one after the other, so the first is the leader and the second stands by.
  const replicas: { leader: LifeboatProcess; standby: LifeboatProcess | undefined } = { leader: await startLifeboat('api', replicaEnv('a')), standby: undefined };
  try {
    await waitForLeader(db);
    replicas.standby = await startLifeboat('api', replicaEnv('b'));
    await seedScheduledServices(db, options.services);
    const runs: BurstRun[] = [];
    const failovers: BurstRun[] = [];
    for (let index = 0; index < options.runs + options.failoverRuns; index++) {
      const failover = index >= options.runs;
      const run = await fireOneSlot(db, options.services, failover ? replicas : undefined);
      if (failover) {
        // The survivor leads now; the killed replica comes back as its standby.
        replicas.leader = replicas.standby!;
        await waitForLeader(db);
        replicas.standby = await startLifeboat('api', replicaEnv(`restarted-${index}`));
      }
      run.rawInsertsPerSecond = await rawInsertRate(db, options.services);
      (failover ? failovers : runs).push(run);
      progress(
        `${failover ? 'failover' : 'run'} ${index + 1}: all ${options.services} requested ${run.secondsToAllRequested.toFixed(1)} s after the minute ` +
          `(${run.requestsPerSecond.toFixed(0)}/s; raw ${run.rawInsertsPerSecond.toFixed(0)}/s)`,
      );
    }
    return { runs, failovers };
  } finally {
    await replicas.standby?.stop();
    await replicas.leader.stop();
    await db.end();
    await nats.stop();
    await platform.drop();
    await rm(work, { recursive: true, force: true });
  }
}

async function waitForLeader(db: pg.Pool): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const { rows } = await db.query(leaderLockHolders);
    if (rows[0].holders === 1) return;
    await sleep(100);
  }
  throw new Error('no replica became the scheduler leader within 30 s');
}

/** Services and schedules written in SQL: setting up 10,000 through the API would take longer than the measurement. */
async function seedScheduledServices(db: pg.Pool, count: number): Promise<void> {
  await db.query(`INSERT INTO control.projects (id, name) VALUES ($1, 'scale')`, [projectId]);
  await db.query(
    `INSERT INTO control.services (id, project_id, name, engine, host, port, database_name, username, sealed_password)
     SELECT 'svc_' || substr(md5($1 || g), 1, 16), $1, 'db-' || g, 'postgresql', 'db-' || g || '.internal', 5432, 'app', 'app', 'not-opened-without-an-orchestrator'
     FROM generate_series(1, $2::int) g`,
    [projectId, count],
  );
  await db.query(`INSERT INTO control.schedules (service_id, project_id, cron, timezone, next_run_at) SELECT id, project_id, '0 0 * * *', 'UTC', NULL FROM control.services WHERE project_id = $1`, [projectId]);
  await db.query('VACUUM ANALYZE control.services, control.schedules');
}

/** Points every schedule at the next minute that leaves time to set up, waits for it, and watches the slot fire. */
async function fireOneSlot(db: pg.Pool, services: number, killLeaderOf?: { leader: LifeboatProcess }): Promise<BurstRun> {
  await finishEarlierBackups(db);
  const slot = new Date(Math.ceil((Date.now() + 8000) / 60_000) * 60_000);
  const cron = `${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`;
  // What `PUT /v1/services/:id/schedule` would store as the next run for this cron.
  if (nextFireAfter(cron, 'UTC', new Date(), 0)?.getTime() !== slot.getTime()) throw new Error(`cron ${cron} does not fire at ${slot.toISOString()}`);
  await db.query(`UPDATE control.schedules SET cron = $1, next_run_at = $2, updated_at = now()`, [cron, slot]);
  await sleep(slot.getTime() - Date.now());

  let leaderKilledAt: number | undefined;
  let allRequestedAt: number;
  const killAfterFired = Math.floor(services / 4);
  for (;;) {
    // Backup, schedule run and next run are one transaction: no due schedule left means every row exists.
    const { rows } = await db.query(`SELECT count(*)::int AS due FROM control.schedules WHERE next_run_at <= $1`, [slot]);
    const now = Date.now();
    if (rows[0].due === 0) {
      allRequestedAt = now;
      break;
    }
    if (killLeaderOf && leaderKilledAt === undefined && services - rows[0].due >= killAfterFired) {
      await killLeaderOf.leader.stop('SIGKILL');
      leaderKilledAt = Date.now();
    }
    if (now - slot.getTime() > 15 * 60_000) throw new Error(`${rows[0].due} schedules still due 15 minutes after ${slot.toISOString()}`);
    await sleep(50);
  }
  if (killLeaderOf && leaderKilledAt === undefined) throw new Error('the slot had fired completely before the leader could be killed');
  const firstFiredAt = await checkExactlyOnce(db, slot, services);
  return {
    secondsToAllRequested: (allRequestedAt - slot.getTime()) / 1000,
    secondsToFirstRequest: (firstFiredAt.getTime() - slot.getTime()) / 1000,
    requestsPerSecond: services / ((allRequestedAt - firstFiredAt.getTime()) / 1000),
    rawInsertsPerSecond: 0,
    ...(leaderKilledAt === undefined ? {} : { leaderKilledAfterSeconds: (leaderKilledAt - slot.getTime()) / 1000 }),
  };
}

/** Stands in for the orchestrator: the slot's backups end, so the next slot is not skipped as "in progress". */
async function finishEarlierBackups(db: pg.Pool): Promise<void> {
  for (let waited = 0; ; waited += 200) {
    const { rows } = await db.query(`SELECT count(*)::int AS pending FROM control.outbox WHERE published_at IS NULL`);
    if (rows[0].pending === 0) break;
    if (waited > 5 * 60_000) throw new Error(`${rows[0].pending} commands still unpublished after 5 minutes`);
    await sleep(200);
  }
  await db.query(
    `UPDATE control.backups SET status = 'failed', failure_code = 'bench', failure_message = 'ended by the benchmark', finished_at = now(), updated_at = now()
     WHERE status IN ('requested', 'queued', 'running')`,
  );
}

/** Every service: one backup for the slot, one schedule run pointing at it, one command, one audit entry. Returns when the first slot fired. */
async function checkExactlyOnce(db: pg.Pool, slot: Date, services: number): Promise<Date> {
  const key = `schedule:${slot.toISOString()}`;
  const { rows } = await db.query(
    `SELECT
       (SELECT count(*)::int FROM control.backups WHERE idempotency_key = $1) AS backups,
       (SELECT count(DISTINCT service_id)::int FROM control.backups WHERE idempotency_key = $1) AS services_with_backup,
       (SELECT count(*)::int FROM control.schedule_runs WHERE slot_at = $2) AS runs,
       (SELECT count(*)::int FROM control.schedule_runs r JOIN control.backups b ON b.id = r.backup_id AND b.service_id = r.service_id
          WHERE r.slot_at = $2 AND r.outcome = 'requested' AND b.idempotency_key = $1) AS runs_with_their_backup,
       (SELECT count(*)::int FROM control.outbox o JOIN control.backups b ON b.id = o.message->'payload'->>'backupId'
          WHERE o.type = 'backup.requested' AND b.idempotency_key = $1) AS commands,
       (SELECT count(*)::int FROM control.audit_events a JOIN control.backups b ON b.id = a.target_id
          WHERE a.action = 'backup.requested' AND b.idempotency_key = $1) AS audit_entries,
       (SELECT min(fired_at) FROM control.schedule_runs WHERE slot_at = $2) AS first_fired_at`,
    [key, slot],
  );
  const found = rows[0];
  for (const count of ['backups', 'services_with_backup', 'runs', 'runs_with_their_backup', 'commands', 'audit_entries']) {
    if (found[count] !== services) throw new Error(`slot ${slot.toISOString()}: ${count} is ${found[count]}, expected exactly ${services}`);
  }
  return found.first_fired_at as Date;
}

/** The rows a scheduled request writes (backup, outbox command, audit entry), one transaction each, straight through pg. */
async function rawInsertRate(db: pg.Pool, services: number): Promise<number> {
  const { rows } = await db.query(`SELECT id FROM control.services WHERE project_id = $1 ORDER BY id LIMIT $2`, [projectId, services]);
  const client = await db.connect();
  try {
    const started = performance.now();
    for (const { id: serviceId } of rows as { id: string }[]) {
      const backupId = `bkp_raw${randomUUID().replace(/-/g, '').slice(0, 13)}`;
      // Ended at once (status failed, command marked published): nothing downstream acts on these rows.
      const command = envelope('backup.requested', { correlationId: backupId, projectId }, {
        backupId,
        serviceId,
        serviceName: 'db',
        trigger: 'scheduled',
        engine: 'postgresql',
        connection: { host: 'db.internal', port: 5432, database: 'app', user: 'app' },
        sealedPassword: 'not-opened-without-an-orchestrator',
        deadlineSeconds: 21600,
      });
      await client.query('BEGIN');
      await client.query(`INSERT INTO control.backups (id, project_id, service_id, status, trigger, requested_by) VALUES ($1, $2, $3, 'failed', 'scheduled', 'bench')`, [backupId, projectId, serviceId]);
      await client.query(`INSERT INTO control.outbox (id, type, subject, message, published_at) VALUES ($1, 'bench.raw', 'bench.raw', $2, now())`, [command.id, JSON.stringify(command)]);
      await client.query(`INSERT INTO control.audit_events (project_id, actor, action, target_kind, target_id, details) VALUES ($1, 'bench', 'backup.requested', 'backup', $2, '{}')`, [projectId, backupId]);
      await client.query('COMMIT');
    }
    return rows.length / ((performance.now() - started) / 1000);
  } finally {
    client.release();
  }
}
