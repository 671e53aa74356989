/**
 * Part (b) of bench/scale.ts: one full `RetentionSweeper.sweep()` over a million backup records
 * (services × one daily backup for 100 days), called in-process on a PostgreSQL platform
 * database. Most records are long expired, deleted or failed; each service has 14 succeeded
 * scheduled backups and one manual one, and its policy keeps 13 days, so every sweep expires
 * exactly one backup per service: the one finished 14 days ago. The baseline reads the same
 * succeeded backups and writes the same expiries (status, outbox command, audit entry) straight
 * through `pg`, one transaction each.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { envelope } from '../../src/contracts/index.js';
import { controlMigrations } from '../../src/control-plane/migrations.js';
import { RetentionSweeper } from '../../src/control-plane/retention-sweep.js';
import { controlSchema, type ControlTables } from '../../src/control-plane/tables.js';
import { migrateSchema } from '../../src/db/migrations.js';
import { openPlatformDatabase, schemaView } from '../../src/db/platform-database.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { progress } from '../figures.js';

export interface SweepRun {
  sweepSeconds: number;
  recordsPerSecond: number;
  rawSeconds: number;
}

const projectId = 'prj_retentionbench00';
const backupsPerService = 100;
const dayMs = 24 * 3600 * 1000;
/** The sweep's clock: noon, so that every backup (finished at 03:00 UTC) is a whole number of days plus 9 hours old. */
const now = new Date(Math.floor(Date.now() / dayMs) * dayMs + 12 * 3600 * 1000);
const finishedDaysAgo = (days: number) => new Date(Math.floor(now.getTime() / dayMs) * dayMs + 3 * 3600 * 1000 - days * dayMs);

export async function measureRetentionSweep(options: { services: number; runs: number }): Promise<SweepRun[]> {
  const platform = await createTestDatabase('bench_scale_retention');
  const database = await openPlatformDatabase({ url: platform.url, dataDir: '/nonexistent', logger: pino({ level: 'silent' }) });
  const raw = new pg.Pool({ connectionString: platform.url, max: 2 });
  try {
    await migrateSchema(database.db, controlSchema, controlMigrations);
    const seeding = performance.now();
    await seedBackupHistory(raw, options.services);
    progress(`seeded ${options.services * backupsPerService} backup records in ${((performance.now() - seeding) / 1000).toFixed(0)} s`);
    const sweeper = new RetentionSweeper({ db: schemaView<ControlTables>(database, controlSchema), logger: pino({ level: 'silent' }), isLeader: () => true, now: () => now });
    const runs: SweepRun[] = [];
    for (let index = 0; index < options.runs; index++) {
      const sweepStarted = new Date();
      const started = performance.now();
      const expired = await sweeper.sweep();
      const sweepSeconds = (performance.now() - started) / 1000;
      if (expired !== options.services) throw new Error(`the sweep expired ${expired} backups, expected one per service (${options.services})`);
      await checkExpiredOnePerService(raw, sweepStarted, options.services);
      await undoExpiries(raw, sweepStarted);
      const rawSeconds = await rawSweepSeconds(raw);
      await undoExpiries(raw, sweepStarted);
      const run = { sweepSeconds, recordsPerSecond: (options.services * backupsPerService) / sweepSeconds, rawSeconds };
      runs.push(run);
      progress(`sweep ${index + 1}: ${sweepSeconds.toFixed(1)} s (${run.recordsPerSecond.toFixed(0)} records/s); raw ${rawSeconds.toFixed(1)} s`);
    }
    return runs;
  } finally {
    await raw.end();
    await database.close();
    await platform.drop();
  }
}

/**
 * Per service, one backup a day for 100 days. Newer than 15 days: succeeded (the one of 3 days
 * ago manual); older: what earlier sweeps and users left, mostly expired, some deleted or failed.
 */
async function seedBackupHistory(db: pg.Pool, services: number): Promise<void> {
  const client = await db.connect();
  try {
    // Bulk load: no change notifications (nobody listens) and no foreign-key checks (the rows are consistent by construction).
    await client.query(`SET session_replication_role = replica`);
    await client.query(`INSERT INTO control.projects (id, name) VALUES ($1, 'retention')`, [projectId]);
    await client.query(
      `INSERT INTO control.services (id, project_id, name, engine, host, port, database_name, username, sealed_password)
       SELECT 'svc_' || substr(md5($1 || g), 1, 16), $1, 'db-' || g, 'postgresql', 'db.internal', 5432, 'app', 'app', 'sealed'
       FROM generate_series(1, $2::int) g`,
      [projectId, services],
    );
    await client.query(
      `INSERT INTO control.schedules (service_id, project_id, cron, timezone, retention, next_run_at)
       SELECT id, project_id, '0 3 * * *', 'Europe/Berlin', '{"keepDaily": 13, "maxAgeDays": 30}', $2 FROM control.services WHERE project_id = $1`,
      [projectId, new Date(now.getTime() + dayMs)],
    );
    await client.query(
      `INSERT INTO control.backups (id, project_id, service_id, status, trigger, idempotency_key, requested_by, requested_at, queued_at, started_at, finished_at,
         artifact_key, manifest_key, size_bytes, sha256, server_version, tool_version, failure_code, failure_message, updated_at)
       SELECT 'bkp_' || substr(md5(s.id || '/' || age), 1, 16), s.project_id, s.id,
         CASE WHEN age < 15 THEN 'succeeded' WHEN age % 10 = 0 THEN 'deleted' WHEN age % 7 = 0 THEN 'failed' ELSE 'expired' END,
         CASE WHEN age = 3 THEN 'manual' ELSE 'scheduled' END,
         CASE WHEN age = 3 THEN NULL ELSE 'schedule:' || age END,
         CASE WHEN age = 3 THEN 'token:bench' ELSE 'scheduler' END,
         $2::timestamptz - age * interval '1 day' - interval '5 minutes',
         $2::timestamptz - age * interval '1 day' - interval '4 minutes',
         $2::timestamptz - age * interval '1 day' - interval '3 minutes',
         $2::timestamptz - age * interval '1 day',
         CASE WHEN age % 7 = 0 AND age >= 15 THEN NULL ELSE 'projects/' || s.project_id || '/services/' || s.id || '/backups/' || age || '/backup.dump' END,
         CASE WHEN age % 7 = 0 AND age >= 15 THEN NULL ELSE 'projects/' || s.project_id || '/services/' || s.id || '/backups/' || age || '/manifest.json' END,
         1048576 + age, md5(s.id || age) || md5(age || s.id), '15.4', '15.4',
         CASE WHEN age % 7 = 0 AND age >= 15 AND age % 10 <> 0 THEN 'connection_refused' END,
         CASE WHEN age % 7 = 0 AND age >= 15 AND age % 10 <> 0 THEN 'could not connect to the server' END,
         $2::timestamptz - age * interval '1 day' + interval '1 hour'
       FROM control.services s CROSS JOIN generate_series(0, $3::int - 1) age WHERE s.project_id = $1`,
      [projectId, finishedDaysAgo(0), backupsPerService],
    );
    await client.query('VACUUM ANALYZE control.backups, control.schedules, control.services');
  } finally {
    await client.query(`SET session_replication_role = DEFAULT`);
    client.release();
  }
}

/** Exactly the backup of 14 days ago of each service expired, each with its delete command and audit entry. */
async function checkExpiredOnePerService(db: pg.Pool, since: Date, services: number): Promise<void> {
  const { rows } = await db.query(
    `SELECT
       (SELECT count(*)::int FROM control.backups WHERE status = 'expired' AND updated_at >= $1) AS expired,
       (SELECT count(DISTINCT service_id)::int FROM control.backups WHERE status = 'expired' AND updated_at >= $1 AND finished_at = $2 AND trigger = 'scheduled') AS services_with_the_right_one,
       (SELECT count(*)::int FROM control.backups WHERE status = 'succeeded') AS still_succeeded,
       (SELECT count(*)::int FROM control.outbox o JOIN control.backups b ON b.id = o.message->'payload'->>'backupId'
          WHERE o.type = 'artifact.delete_requested' AND o.created_at >= $1 AND b.status = 'expired') AS delete_commands,
       (SELECT count(*)::int FROM control.audit_events WHERE action = 'backup.expired' AND at >= $1) AS audit_entries`,
    [since, finishedDaysAgo(14)],
  );
  const expected = { expired: services, services_with_the_right_one: services, still_succeeded: services * 14, delete_commands: services, audit_entries: services };
  for (const [name, count] of Object.entries(expected)) {
    if (rows[0][name] !== count) throw new Error(`after the sweep, ${name} is ${rows[0][name]}, expected ${count}`);
  }
}

/** Puts the records back as they were, so that every run does the same work. */
async function undoExpiries(db: pg.Pool, since: Date): Promise<void> {
  await db.query(`UPDATE control.backups SET status = 'succeeded' WHERE status = 'expired' AND updated_at >= $1`, [since]);
  await db.query(`DELETE FROM control.outbox WHERE type = 'artifact.delete_requested'`);
  await db.query(`DELETE FROM control.audit_events WHERE action = 'backup.expired'`);
}

/** The reads and writes a sweep cannot avoid, done plainly: read the candidates, then one transaction per expiry. */
async function rawSweepSeconds(db: pg.Pool): Promise<number> {
  const client = await db.connect();
  try {
    const started = performance.now();
    const { rows: candidates } = await client.query(
      `SELECT b.id, b.project_id, b.service_id, b.finished_at, b.trigger FROM control.backups b JOIN control.schedules s ON s.service_id = b.service_id WHERE b.status = 'succeeded'`,
    );
    const cutoff = finishedDaysAgo(14).getTime();
    for (const backup of candidates as { id: string; project_id: string; service_id: string; finished_at: Date }[]) {
      if (backup.finished_at.getTime() !== cutoff) continue;
      const command = envelope('artifact.delete_requested', { correlationId: backup.id, projectId: backup.project_id }, { backupId: backup.id, serviceId: backup.service_id, reason: 'expired' });
      await client.query('BEGIN');
      await client.query(`UPDATE control.backups SET status = 'expired', updated_at = now() WHERE id = $1 AND status = 'succeeded'`, [backup.id]);
      await client.query(`INSERT INTO control.outbox (id, type, subject, message) VALUES ($1, 'artifact.delete_requested', 'bench.raw', $2)`, [randomUUID(), JSON.stringify(command)]);
      await client.query(`INSERT INTO control.audit_events (project_id, actor, action, target_kind, target_id, details) VALUES ($1, 'system', 'backup.expired', 'backup', $2, '{}')`, [backup.project_id, backup.id]);
      await client.query('COMMIT');
    }
    return (performance.now() - started) / 1000;
  } finally {
    client.release();
  }
}
