import { type Kysely, sql } from 'kysely';
import { envelope } from '../contracts/index.js';
import { enqueue } from '../outbox/outbox.js';
import { recordAudit } from './audit.js';
import { inProgressStatuses } from './backup-status.js';
import type { BackupRow } from './backups.js';
import { ApiError, apiErrors } from './errors.js';
import { refreshExpiryDates } from './retention-sweep.js';
import { controlSchema, type ControlTables } from './tables.js';

/**
 * Asks the orchestrator to stop a backup that has not finished. The backup stays in its status
 * until the orchestrator confirms (`canceled`, or its real outcome if it finished first).
 */
export async function cancelBackup(db: Kysely<ControlTables>, backupId: string, actor: string): Promise<BackupRow> {
  return db.transaction().execute(async (trx) => {
    const backup = await trx.selectFrom('backups').selectAll().where('id', '=', backupId).forUpdate().executeTakeFirst();
    if (!backup) throw apiErrors.notFound('backup', backupId);
    if (!inProgressStatuses.includes(backup.status)) {
      throw new ApiError('backup_not_cancelable', `backup ${backupId} is already ${backup.status}`);
    }
    if (backup.cancel_requested_at) return backup;
    const updated = await trx.updateTable('backups').set({ cancel_requested_at: sql<Date>`now()`, updated_at: sql<Date>`now()` }).where('id', '=', backupId).returningAll().executeTakeFirstOrThrow();
    await enqueue<ControlTables>(
      trx,
      controlSchema,
      envelope('backup.cancel_requested', { correlationId: backup.id, projectId: backup.project_id }, { backupId: backup.id, serviceId: backup.service_id, requestedBy: actor }),
    );
    await recordAudit(trx, { projectId: backup.project_id, actor, action: 'backup.cancel_requested', target: { kind: 'backup', id: backup.id } });
    return updated;
  });
}

/** Deletes a succeeded backup: the record moves to `deleted` and the orchestrator removes its files. */
export async function deleteBackup(db: Kysely<ControlTables>, backupId: string, actor: string): Promise<BackupRow> {
  return db.transaction().execute(async (trx) => {
    const backup = await trx.selectFrom('backups').selectAll().where('id', '=', backupId).forUpdate().executeTakeFirst();
    if (!backup) throw apiErrors.notFound('backup', backupId);
    if (backup.status === 'deleted') return backup;
    if (backup.status !== 'succeeded') {
      const hint = inProgressStatuses.includes(backup.status) ? '; cancel it instead' : '; it has no files to delete';
      throw new ApiError('backup_not_deletable', `backup ${backupId} is ${backup.status}${hint}`);
    }
    const updated = await trx.updateTable('backups').set({ status: 'deleted', updated_at: sql<Date>`now()` }).where('id', '=', backupId).returningAll().executeTakeFirstOrThrow();
    await enqueue<ControlTables>(
      trx,
      controlSchema,
      envelope('artifact.delete_requested', { correlationId: backup.id, projectId: backup.project_id }, { backupId: backup.id, serviceId: backup.service_id, reason: 'deleted' as const }),
    );
    await recordAudit(trx, { projectId: backup.project_id, actor, action: 'backup.deleted', target: { kind: 'backup', id: backup.id } });
    // Deleting one can make another the newest, or bring it back within a count rule.
    await refreshExpiryDates(trx, backup.service_id);
    return updated;
  });
}
