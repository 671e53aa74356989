import { type Kysely, type Selectable, sql } from 'kysely';
import { canonicalFailureCode, engineDescriptors, type EngineCapabilities, type Engine, envelope, keptFromExclusions, type NetworkPolicy, type RestoreTarget } from '../contracts/index.js';
import { isUniqueViolation } from '../db/errors.js';
import { enqueue } from '../outbox/outbox.js';
import { recordAudit } from './audit.js';
import { backupInProgress, contentsOf, recordBackupRequest } from './backups.js';
import { ApiError, apiErrors } from './errors.js';
import { newId } from './ids.js';
import { refuseBlockedService } from './service-block.js';
import { refuseArchivedService } from './services.js';
import { controlSchema, type ControlTables, type RecordedRestoreTarget } from './tables.js';

export type RestoreRow = Selectable<ControlTables['restores']>;

export type RestoreRequest =
  | { kind: 'new_database'; database: string }
  | { kind: 'in_place'; confirm: string; safetyBackup: boolean }
  | { kind: 'service'; serviceId: string; confirm: string; safetyBackup: boolean };

/**
 * Records a restore of a succeeded backup. A restore into a new database is sent to the
 * orchestrator at once; one that overwrites a database (in place, or over another service of
 * the project) first takes a safety backup of that service's current data (unless told not to)
 * and is sent once that backup has succeeded. A restore and a backup of one service never run
 * together: the service rows are locked while either is recorded. A backup of an archived
 * service can still be restored into a new database or another service, never over itself.
 */
export async function requestRestore(
  db: Kysely<ControlTables>,
  input: { backupId: string; request: RestoreRequest; actor: string; deadlineSeconds: number; networkPolicy?: NetworkPolicy },
): Promise<RestoreRow> {
  try {
    return await db.transaction().execute(async (trx) => {
      const backup = await trx.selectFrom('backups').selectAll().where('id', '=', input.backupId).executeTakeFirst();
      if (!backup) throw apiErrors.notFound('backup', input.backupId);
      const { request } = input;
      if (request.kind === 'service' && request.serviceId === backup.service_id) {
        throw apiErrors.invalidRequest(`${request.serviceId} is the backup's own service: restore it with target kind in_place`);
      }
      // Both rows locked in id order, so two restores across the same two services never wait on each other in a cycle.
      const ids = request.kind === 'service' ? [backup.service_id, request.serviceId].sort() : [backup.service_id];
      const locked = await trx.selectFrom('services').selectAll().where('id', 'in', ids).where('purged_at', 'is', null).orderBy('id').forUpdate().execute();
      const source = locked.find((row) => row.id === backup.service_id);
      if (!source) throw apiErrors.notFound('service', backup.service_id);
      const service = request.kind === 'service' ? locked.find((row) => row.id === request.serviceId && row.project_id === backup.project_id) : source;
      if (!service) throw apiErrors.notFound('service', request.kind === 'service' ? request.serviceId : backup.service_id);
      refuseBlockedService(service, input.networkPolicy);
      if (request.kind !== 'new_database') refuseArchivedService(service, 'be restored over');
      if (service.engine !== source.engine) {
        throw apiErrors.invalidRequest(`${service.name} runs another engine than the backup: restore into a service of the same engine`);
      }
      if (backup.status !== 'succeeded' || !backup.artifact_key) {
        throw new ApiError('backup_not_restorable', `backup ${backup.id} is ${backup.status}; only a succeeded backup can be restored`);
      }
      refuseUnsupported(service.engine, request.kind === 'new_database' ? 'restoreNewDatabase' : 'restoreInPlace');
      if (request.kind !== 'new_database' && request.confirm !== service.name) {
        const overwrites = request.kind === 'in_place' ? 'restoring in place overwrites' : 'restoring into another service overwrites';
        throw apiErrors.invalidRequest(`${overwrites} ${service.name}: set confirm to "${service.name}" to go ahead`);
      }
      if (request.kind === 'new_database' && request.database === service.database_name) {
        throw apiErrors.invalidRequest(`"${request.database}" is the service's own database; restore in place, or choose a new name`);
      }
      const running = await backupInProgress(trx, service.id);
      if (running) throw new ApiError('backup_in_progress', `backup ${running} of ${service.name} is in progress; restore when it has finished`);

      const safety =
        request.kind !== 'new_database' && request.safetyBackup
          ? await recordBackupRequest(trx, { service, trigger: 'safety', idempotencyKey: null, requestedBy: input.actor, deadlineSeconds: input.deadlineSeconds })
          : undefined;
      const target: RecordedRestoreTarget =
        request.kind === 'new_database' ? { kind: 'new_database', database: request.database } : request.kind === 'service' ? { kind: 'service', serviceId: service.id } : { kind: 'in_place' };
      const restore = await trx
        .insertInto('restores')
        .values({
          id: newId('rst'),
          project_id: backup.project_id,
          service_id: service.id,
          backup_id: backup.id,
          status: 'requested',
          target: JSON.stringify(target),
          safety_backup_id: safety?.id ?? null,
          requested_by: input.actor,
          started_at: null,
          finished_at: null,
          failure_code: null,
          failure_message: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (!safety) await sendRestore(trx, restore, input.deadlineSeconds);
      await recordAudit(trx, {
        projectId: restore.project_id,
        actor: input.actor,
        action: 'restore.requested',
        target: { kind: 'restore', id: restore.id },
        details: { backupId: backup.id, sourceServiceId: source.id, target, safetyBackupId: safety?.id ?? null },
      });
      return restore;
    });
  } catch (error) {
    if (isUniqueViolation(error, 'restores_one_in_progress')) {
      throw new ApiError('restore_in_progress', 'a restore of this service is already in progress; wait for it to finish', { cause: error });
    }
    throw error;
  }
}

const actionNames: Record<keyof EngineCapabilities, string> = {
  restoreInPlace: 'restore over a database',
  restoreNewDatabase: 'restore into a new database',
  contents: 'record contents',
  drills: 'run restore drills',
  parallelRestore: 'restore in parallel',
  restorePlan: 'say beforehand what an in-place restore drops',
};

/** `not_supported_by_engine` when the engine's backups cannot do that (GET /v1/capabilities says what each can). */
export function refuseUnsupported(engine: Engine, capability: keyof EngineCapabilities): void {
  const { label, capabilities } = engineDescriptors[engine];
  if (!capabilities[capability]) throw new ApiError('not_supported_by_engine', `${label} backups cannot ${actionNames[capability]}; GET /v1/capabilities lists what each engine can do`);
}

/** Sends `restore.requested` for a recorded restore (at once, or after its safety backup). */
export async function sendRestore(trx: Kysely<ControlTables>, restore: RestoreRow, deadlineSeconds: number): Promise<void> {
  const backup = await trx.selectFrom('backups').selectAll().where('id', '=', restore.backup_id).executeTakeFirstOrThrow();
  const service = await trx.selectFrom('services').selectAll().where('id', '=', restore.service_id).executeTakeFirstOrThrow();
  await enqueue<ControlTables>(
    trx,
    controlSchema,
    envelope(
      'restore.requested',
      { correlationId: restore.id, projectId: restore.project_id },
      {
        restoreId: restore.id,
        backupId: backup.id,
        serviceId: service.id,
        engine: service.engine,
        connection: { host: service.host, port: service.port, database: service.database_name, user: service.username },
        sealedPassword: service.sealed_password,
        artifact: { key: backup.artifact_key ?? '', sizeBytes: backup.size_bytes ?? 0, sha256: backup.sha256 ?? '' },
        target: agentTarget(restore.target),
        keep: keptFromExclusions(contentsOf(backup)?.excluded),
        deadlineSeconds,
      },
    ),
  );
}

/** What the agent is told: a restore over another service is, for it, in place on that service's connection. */
export function agentTarget(target: RecordedRestoreTarget): RestoreTarget {
  return target.kind === 'service' ? { kind: 'in_place' } : target;
}

/**
 * Moves a restore that waits for its safety backup on: sent when the backup succeeded, failed
 * (without touching anything) when it did not. Runs in the transaction that applies the
 * backup's terminal event.
 */
export async function continueAfterSafetyBackup(trx: Kysely<ControlTables>, backupId: string, backupStatus: string, deadlineSeconds: number): Promise<void> {
  const restore = await trx.selectFrom('restores').selectAll().where('safety_backup_id', '=', backupId).where('status', '=', 'requested').forUpdate().executeTakeFirst();
  if (!restore) return;
  if (backupStatus === 'succeeded') {
    await sendRestore(trx, restore, deadlineSeconds);
    return;
  }
  await trx
    .updateTable('restores')
    .set({
      status: 'failed',
      finished_at: sql<Date>`now()`,
      failure_code: 'safety_backup_failed',
      failure_message: `the safety backup ${backupId} ${backupStatus === 'canceled' ? 'was canceled' : 'failed'}, so the service's database was not touched; see that backup for why`,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', restore.id)
    .execute();
  await recordAudit(trx, { projectId: restore.project_id, actor: 'system', action: 'restore.failed', target: { kind: 'restore', id: restore.id }, details: { failure: 'safety_backup_failed' } });
}

export async function findRestore(db: Kysely<ControlTables>, restoreId: string): Promise<RestoreRow> {
  const row = await db.selectFrom('restores').selectAll().where('id', '=', restoreId).executeTakeFirst();
  if (!row) throw apiErrors.notFound('restore', restoreId);
  return row;
}

export function restoreView(row: RestoreRow) {
  return {
    id: row.id,
    backupId: row.backup_id,
    serviceId: row.service_id,
    projectId: row.project_id,
    status: row.status,
    target: row.target,
    safetyBackupId: row.safety_backup_id,
    requestedAt: row.requested_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    failure: row.failure_code ? { code: canonicalFailureCode(row.failure_code), message: row.failure_message ?? '' } : null,
    dropped: row.dropped ?? null,
  };
}
