import { type Kysely, type Selectable, sql } from 'kysely';
import { type BackupContents, canonicalFailureCode, backupContents, backupSettingsOf, envelope, type BackupTrigger, type LockWait, type NetworkPolicy } from '../contracts/index.js';
import { isUniqueViolation } from '../db/errors.js';
import { executePrepared, preparedStatement } from '../db/prepared-statements.js';
import { notifyRelayAtCommit, outboxRow } from '../outbox/outbox.js';
import type { PublishedMessage } from '../outbox/relay.js';
import { auditRow } from './audit.js';
import { backupAvailability, killSwitchEngagedIn, killSwitchFrom } from './availability.js';
import { inProgressStatuses } from './backup-status.js';
import { ApiError, apiErrors } from './errors.js';
import { refuseBlockedService } from './service-block.js';
import { isDue } from './retention.js';
import { restoreInProgress } from './restore-status.js';
import { newId } from './ids.js';
import type { ServiceRow } from './services.js';
import { backupColumns, controlSchema, type ControlTables } from './tables.js';

export type BackupRow = Selectable<ControlTables['backups']>;

/** A backup's recorded contents, decoded; undefined for a backup that has none (not succeeded, or made before contents were). */
export function contentsOf(backup: Pick<BackupRow, 'contents'>): BackupContents | undefined {
  const parsed = backupContents.safeParse(backup.contents);
  return parsed.success ? parsed.data : undefined;
}

export interface BackupRequest {
  service: ServiceRow;
  trigger: BackupTrigger;
  idempotencyKey: string | null;
  requestedBy: string;
  deadlineSeconds: number;
}

/** What decides whether backups are on (invariant 6), besides the kill switch stored in the database. */
export interface BackupGate {
  storageConfigured: boolean;
  killSwitchFromConfiguration: boolean;
  /** The operator's network policy: a service whose stored address it refuses is blocked. */
  networkPolicy?: NetworkPolicy;
}

/**
 * Records a backup, its `backup.requested` command and its audit entry in one statement, so in
 * one transaction (invariant 1) and one round trip: this is the API's hottest write path
 * (BENCHMARKS.md, control plane). The statement locks the service, reads the kill switch and
 * any restore in progress, and writes only if neither stops it, so an operator who engages the
 * kill switch stops every request that commits afterwards (invariant 6). The database refuses a
 * second backup of a service while one is in progress (invariant 4); the same idempotency key
 * for the same service returns the backup it first created. The statement sends no NOTIFY,
 * which would make concurrent requests commit one after another: the caller wakes the relays
 * once it returns (`ControlPlane.wakeRelay`).
 */
export async function requestBackup(db: Kysely<ControlTables>, request: BackupRequest, gate: BackupGate): Promise<{ backup: BackupRow; created: boolean }> {
  const { service, idempotencyKey } = request;
  refuseBlockedService(service, gate.networkPolicy);
  // Configuration does not change while the process runs: checked before anything is read.
  const configured = backupAvailability({ storageConfigured: gate.storageConfigured, killSwitch: killSwitchFrom(undefined, gate.killSwitchFromConfiguration) });
  if (!configured.available) throw apiErrors.backupsUnavailable(configured.reason ?? 'unknown');
  if (idempotencyKey !== null) {
    const earlier = await findByIdempotencyKey(db, service.id, idempotencyKey);
    if (earlier) return { backup: earlier, created: false };
  }
  try {
    const outcome = await guardedInsert(db, requestRows(request));
    if (!outcome) throw apiErrors.notFound('service', service.id);
    const { restoring, kill_switch: killSwitch, ...backup } = outcome;
    if (backup.id !== null) return { backup, created: true };
    const availability = backupAvailability({ storageConfigured: true, killSwitch: killSwitchFrom(killSwitch, false) });
    if (!availability.available) throw apiErrors.backupsUnavailable(availability.reason ?? 'unknown');
    throw new ApiError('restore_in_progress', `restore ${restoring ?? 'unknown'} of ${service.name} is in progress; back up when it has finished`);
  } catch (error) {
    if (idempotencyKey !== null && isUniqueViolation(error, 'backups_idempotency_key')) {
      const earlier = await findByIdempotencyKey(db, service.id, idempotencyKey);
      if (earlier) return { backup: earlier, created: false };
    }
    if (isUniqueViolation(error, 'backups_one_in_progress')) {
      throw apiErrors.backupInProgress(service.name, (await backupInProgress(db, service.id)) ?? 'unknown');
    }
    throw error;
  }
}

/** The rows a backup request writes: the backup, its command and its audit entry. */
function requestRows(request: BackupRequest) {
  const { service } = request;
  const backupId = newId('bkp');
  const command = envelope(
    'backup.requested',
    { correlationId: backupId, projectId: service.project_id },
    {
      backupId,
      serviceId: service.id,
      serviceName: service.name,
      trigger: request.trigger,
      engine: service.engine,
      connection: { host: service.host, port: service.port, database: service.database_name, user: service.username },
      sealedPassword: service.sealed_password,
      deadlineSeconds: request.deadlineSeconds,
      backupSettings: backupSettingsOf(service.backup_settings),
    },
  );
  return {
    backup: {
      id: backupId,
      project_id: service.project_id,
      service_id: service.id,
      status: 'requested' as const,
      trigger: request.trigger,
      idempotency_key: request.idempotencyKey,
      requested_by: request.requestedBy,
    },
    command: outboxRow(command),
    audit: auditRow({ projectId: service.project_id, actor: request.requestedBy, action: 'backup.requested', target: { kind: 'backup', id: backupId }, details: { trigger: request.trigger } }),
  };
}

/**
 * One statement: lock the service, read what may stop the backup, and write the three rows only
 * if nothing does. It answers the backup (all null when it was not written) with what was read,
 * or no row when the service does not exist. Written out rather than built with Kysely and
 * prepared: it runs once per request, and building and planning it was a third of a request's
 * cost (BENCHMARKS.md, control plane).
 */
const requestBackupStatement = preparedStatement(
  'request_backup',
  `WITH guard AS (
     SELECT (SELECT r.id FROM ${controlSchema}.restores r WHERE r.service_id = s.id AND r.status = ANY ($17::text[]) LIMIT 1) AS restoring,
            (SELECT value FROM ${controlSchema}.settings WHERE key = 'kill_switch') AS kill_switch
     FROM ${controlSchema}.services s
     WHERE s.id = $1 AND s.archived_at IS NULL
     FOR SHARE
   ),
   allowed AS (SELECT FROM guard WHERE restoring IS NULL AND NOT ${killSwitchEngagedIn('kill_switch')}),
   backup AS (
     INSERT INTO ${controlSchema}.backups (id, project_id, service_id, status, trigger, idempotency_key, requested_by)
     SELECT $2, $3, $1, 'requested', $4, $5, $6 FROM allowed
     RETURNING ${backupColumns.join(', ')}
   ),
   command AS (
     INSERT INTO ${controlSchema}.outbox (id, type, subject, message) SELECT $7::uuid, $8, $9, $10::jsonb FROM backup
   ),
   audit AS (
     INSERT INTO ${controlSchema}.audit_events (project_id, actor, action, target_kind, target_id, details) SELECT $11, $12, $13, $14, $15, $16::jsonb FROM backup
   )
   SELECT guard.restoring, guard.kill_switch, ${backupColumns.map((column) => `backup.${column}`).join(', ')} FROM guard LEFT JOIN backup ON true`,
);

type GuardedRow = { restoring: string | null; kill_switch: unknown } & ({ [Column in keyof BackupRow]: BackupRow[Column] } | { [Column in keyof BackupRow]: null });

async function guardedInsert(db: Kysely<ControlTables>, rows: ReturnType<typeof requestRows>): Promise<GuardedRow | undefined> {
  const { backup, command, audit } = rows;
  const [row] = await executePrepared<GuardedRow>(db, requestBackupStatement, [
    backup.service_id, backup.id, backup.project_id, backup.trigger, backup.idempotency_key, backup.requested_by,
    command.id, command.type, command.subject, command.message,
    audit.project_id, audit.actor, audit.action, audit.target_kind, audit.target_id, audit.details,
    restoreInProgress,
  ]);
  return row;
}

/**
 * Inserts a backup, its command and its audit entry inside the caller's transaction, in one
 * statement. The unique indexes still guard it; callers that must not fail on them (the
 * scheduler) lock the service row and check for a backup in progress first.
 */
export async function recordBackupRequest(trx: Kysely<ControlTables>, request: BackupRequest): Promise<BackupRow> {
  const { backup, command, audit } = requestRows(request);
  // The command and audit entry ride on the backup's insert: if it fails (a backup already in
  // progress), none of the three is written.
  return trx
    .with('command', (db) => db.insertInto('outbox').values(command).returning(notifyRelayAtCommit(controlSchema)))
    .with('audit', (db) => db.insertInto('audit_events').values(audit))
    .insertInto('backups')
    .values(backup)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The id of the service's backup in progress, if there is one. */
export async function backupInProgress(db: Kysely<ControlTables>, serviceId: string): Promise<string | undefined> {
  const row = await db.selectFrom('backups').select('id').where('service_id', '=', serviceId).where('status', 'in', inProgressStatuses).executeTakeFirst();
  return row?.id;
}

async function findByIdempotencyKey(db: Kysely<ControlTables>, serviceId: string, key: string): Promise<BackupRow | undefined> {
  return db.selectFrom('backups').selectAll().where('service_id', '=', serviceId).where('idempotency_key', '=', key).executeTakeFirst();
}

export async function findBackup(db: Kysely<ControlTables>, backupId: string): Promise<BackupRow> {
  const row = await db.selectFrom('backups').selectAll().where('id', '=', backupId).executeTakeFirst();
  if (!row) throw apiErrors.notFound('backup', backupId);
  return row;
}

/** A page of a service's backups, newest first; `after` is the cursor of the previous page's last item. */
export async function listBackups(
  db: Kysely<ControlTables>,
  serviceId: string,
  page: { limit: number; after: string | undefined },
): Promise<{ backups: BackupRow[]; nextCursor: string | null }> {
  let query = db.selectFrom('backups').selectAll().where('service_id', '=', serviceId);
  if (page.after !== undefined) {
    const position = decodeCursor(page.after);
    query = query.where((eb) => eb(eb.refTuple('requested_at', 'id'), '<', eb.tuple(position.requestedAt, position.id)));
  }
  const rows = await query.orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1).execute();
  const backups = rows.slice(0, page.limit);
  const last = backups.at(-1);
  return { backups, nextCursor: rows.length > page.limit && last ? encodeCursor(last) : null };
}

function encodeCursor(row: BackupRow): string {
  return Buffer.from(JSON.stringify([row.requested_at.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { requestedAt: Date; id: string } {
  try {
    const [requestedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(requestedAt);
    // Only what encodeCursor writes reaches the database: a forged id (a NUL byte) or a year it cannot hold would answer 500.
    if (typeof id !== 'string' || !/^bkp_[0-9a-z]{16}$/.test(id) || !(date.getTime() >= 0 && date.getUTCFullYear() <= 9999)) throw new Error('bad cursor');
    return { requestedAt: date, id };
  } catch {
    throw apiErrors.invalidRequest('cursor is not one this API returned');
  }
}

/** Run by the outbox relay when commands reach the bus: the backups and restores they ask for are now queued. */
export async function markQueued(trx: Kysely<ControlTables>, published: PublishedMessage[]): Promise<void> {
  const payloadsOf = (type: string) => published.filter((message) => message.type === type).map((message) => (message.message as { payload: { backupId: string; restoreId?: string } }).payload);
  const backups = payloadsOf('backup.requested').map((payload) => payload.backupId);
  const restores = payloadsOf('restore.requested').flatMap((payload) => (payload.restoreId ? [payload.restoreId] : []));
  if (backups.length > 0) {
    await trx
      .updateTable('backups')
      .set({ status: 'queued', queued_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('id', 'in', backups)
      .where('status', '=', 'requested')
      .execute();
  }
  if (restores.length > 0) {
    await trx.updateTable('restores').set({ status: 'queued', updated_at: sql<Date>`now()` }).where('id', 'in', restores).where('status', '=', 'requested').execute();
  }
}

/** A backup as the API shows it; `now` only decides whether its expiry date has passed. */
export function backupView(row: BackupRow, now = new Date()) {
  return {
    id: row.id,
    serviceId: row.service_id,
    projectId: row.project_id,
    status: row.status,
    trigger: row.trigger,
    requestedAt: row.requested_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    sizeBytes: row.size_bytes,
    sha256: row.sha256,
    expiresAt: row.expires_at?.toISOString() ?? null,
    expiring: row.status === 'succeeded' && isDue(row.expires_at, now),
    failure: row.failure_code ? { code: canonicalFailureCode(row.failure_code), message: row.failure_message ?? '' } : null,
    verification: row.verification ?? null,
    bytesWritten: row.status === 'succeeded' ? row.size_bytes : row.bytes_written,
    // Only a backup still in progress can be waiting: the last wait seen is not shown after its end.
    lockWait: row.status === 'queued' || row.status === 'running' ? ((row.lock_wait as LockWait | null) ?? null) : null,
  };
}
