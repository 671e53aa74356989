import { type Kysely, sql } from 'kysely';
import { envelope } from '../contracts/index.js';
import { enqueue } from '../outbox/outbox.js';
import { recordAudit } from './audit.js';
import { backupInProgress } from './backups.js';
import { ApiError, apiErrors } from './errors.js';
import { restoreInProgress } from './restore-status.js';
import type { ServiceRow } from './services.js';
import { controlSchema, type ControlTables } from './tables.js';

/**
 * Archives a service: it leaves the catalog (its name is free again, its schedule is removed so
 * nothing fires), and its backups stay listable, downloadable and restorable. Waits until no
 * backup or restore of it is in progress. Archiving an archived service changes nothing.
 */
export async function archiveService(db: Kysely<ControlTables>, service: ServiceRow, actor: string): Promise<void> {
  if (service.archived_at) return;
  await db.transaction().execute(async (trx) => {
    await lockIdle(trx, service);
    await archiveLocked(trx, service, actor);
  });
}

/**
 * Purges a service (archiving it first if it is active, in the same transaction): every backup
 * whose files are still kept moves to `deleted` and its files' deletion is sent to the
 * orchestrator, and the service and its backups are shown nowhere any more. The rows stay as
 * tombstones: the orchestrator's deletion is asynchronous, and a record must outlive its files
 * (invariant 5). `confirm` must be the service's name. Answers how many backups it removed from
 * view and how many of them had files to delete.
 */
export async function purgeService(
  db: Kysely<ControlTables>,
  service: ServiceRow,
  input: { confirm: string | undefined; actor: string },
): Promise<{ backups: number; artifacts: number }> {
  const refusal = purgeConfirmRefusal(service.name, input.confirm);
  if (refusal) throw apiErrors.invalidRequest(refusal);
  return db.transaction().execute(async (trx) => {
    await lockIdle(trx, service);
    const reading = await trx
      .selectFrom('restores')
      .innerJoin('backups', 'backups.id', 'restores.backup_id')
      .select('restores.id')
      .where('backups.service_id', '=', service.id)
      .where('restores.status', 'in', restoreInProgress)
      .executeTakeFirst();
    if (reading) throw new ApiError('restore_in_progress', `restore ${reading.id} is reading a backup of ${service.name}; purge when it has finished`);
    if (!service.archived_at) await archiveLocked(trx, service, input.actor);

    const all = await trx.selectFrom('backups').select((eb) => eb.fn.countAll<string>().as('n')).where('service_id', '=', service.id).executeTakeFirstOrThrow();
    const deleted = await trx
      .updateTable('backups')
      .set({ status: 'deleted', updated_at: sql<Date>`now()` })
      .where('service_id', '=', service.id)
      .where('status', '=', 'succeeded')
      .returning(['id', 'project_id'])
      .execute();
    for (const backup of deleted) {
      await enqueue<ControlTables>(
        trx,
        controlSchema,
        envelope('artifact.delete_requested', { correlationId: backup.id, projectId: backup.project_id }, { backupId: backup.id, serviceId: service.id, reason: 'deleted' as const }),
      );
    }
    await trx.updateTable('services').set({ purged_at: sql<Date>`now()` }).where('id', '=', service.id).execute();
    const counts = { backups: Number(all.n), artifacts: deleted.length };
    await recordAudit(trx, { projectId: service.project_id, actor: input.actor, action: 'service.purged', target: { kind: 'service', id: service.id }, details: { name: service.name, ...counts } });
    return counts;
  });
}

/** Why a purge of `serviceName` is refused with this `confirm`, or null: it must be the name itself. */
export function purgeConfirmRefusal(serviceName: string, confirm: string | undefined): string | null {
  if (confirm === undefined || confirm === '') return `purging deletes every backup of ${serviceName} for good: set confirm to "${serviceName}" to go ahead`;
  if (confirm !== serviceName) return `confirm is not this service's name: set it to "${serviceName}" to purge it`;
  return null;
}

// Locks the service first, so a backup requested at the same moment either commits before this
// check sees it or finds the service archived (requestBackup takes a share lock on it).
async function lockIdle(trx: Kysely<ControlTables>, service: ServiceRow): Promise<void> {
  await trx.selectFrom('services').select('id').where('id', '=', service.id).forUpdate().execute();
  const running = await backupInProgress(trx, service.id);
  if (running) throw apiErrors.backupInProgress(service.name, running);
  const restoring = await trx.selectFrom('restores').select('id').where('service_id', '=', service.id).where('status', 'in', restoreInProgress).executeTakeFirst();
  if (restoring) throw new ApiError('restore_in_progress', `restore ${restoring.id} of ${service.name} is in progress; remove the service when it has finished`);
}

async function archiveLocked(trx: Kysely<ControlTables>, service: ServiceRow, actor: string): Promise<void> {
  await trx.updateTable('services').set({ archived_at: sql<Date>`now()` }).where('id', '=', service.id).execute();
  const schedule = await trx.deleteFrom('schedules').where('service_id', '=', service.id).returning('service_id').executeTakeFirst();
  await recordAudit(trx, {
    projectId: service.project_id,
    actor,
    action: 'service.archived',
    target: { kind: 'service', id: service.id },
    details: { name: service.name, archived: true, scheduleRemoved: schedule !== undefined },
  });
}
