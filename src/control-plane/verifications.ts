import { type Kysely, sql } from 'kysely';
import { type BackupVerified, type Engine, engineDescriptors, envelope } from '../contracts/index.js';
import { enqueue, receiveOnce } from '../outbox/outbox.js';
import { recordAudit } from './audit.js';
import { backupView, type BackupRow } from './backups.js';
import { ApiError, apiErrors } from './errors.js';
import { newId } from './ids.js';
import { controlSchema, type ControlTables } from './tables.js';
import { queueWebhookDeliveries } from './webhooks.js';

/** Whether a restore drill of the backup was asked for and has no verdict yet. */
export function isVerificationPending(backup: Pick<BackupRow, 'verification'>): boolean {
  return (backup.verification as { status?: string } | null)?.status === 'pending';
}

/** The engine of the service a backup belongs to (archived services included). */
export async function engineOfService(trx: Kysely<ControlTables>, serviceId: string): Promise<Engine> {
  const service = await trx.selectFrom('services').select('engine').where('id', '=', serviceId).executeTakeFirstOrThrow();
  return service.engine;
}

/**
 * Asks for a restore drill of a succeeded backup. The backup's `verification` shows
 * `pending` until the orchestrator's verdict arrives; asking again while one is pending
 * changes nothing.
 */
export async function requestVerification(trx: Kysely<ControlTables>, backup: BackupRow, actor: string, deadlineSeconds: number): Promise<BackupRow> {
  if (backup.status !== 'succeeded' || !backup.artifact_key || !backup.manifest_key || !backup.sha256 || backup.size_bytes === null) {
    throw new ApiError('backup_not_restorable', `backup ${backup.id} is ${backup.status}; only a succeeded backup can be verified`);
  }
  if (isVerificationPending(backup)) return backup;
  const verificationId = newId('vrf');
  const updated = await trx
    .updateTable('backups')
    .set({ verification: JSON.stringify({ status: 'pending', verificationId, requestedAt: new Date().toISOString() }), updated_at: sql<Date>`now()` })
    .where('id', '=', backup.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await enqueue<ControlTables>(
    trx,
    controlSchema,
    envelope(
      'backup.verify_requested',
      { correlationId: backup.id, projectId: backup.project_id },
      {
        verificationId,
        backupId: backup.id,
        serviceId: backup.service_id,
        engine: await engineOfService(trx, backup.service_id),
        artifact: { key: backup.artifact_key, manifestKey: backup.manifest_key, sizeBytes: backup.size_bytes, sha256: backup.sha256 },
        deadlineSeconds,
      },
    ),
  );
  await recordAudit(trx, { projectId: backup.project_id, actor, action: 'backup.verify_requested', target: { kind: 'backup', id: backup.id }, details: { verificationId } });
  return updated;
}

/** The route's half: availability, then the request in its own transaction. */
export async function verifyBackup(db: Kysely<ControlTables>, backupId: string, options: { actor: string; deadlineSeconds: number; verificationEngines: readonly Engine[] }): Promise<BackupRow> {
  return db.transaction().execute(async (trx) => {
    const backup = await trx.selectFrom('backups').selectAll().where('id', '=', backupId).forUpdate().executeTakeFirst();
    if (!backup) throw apiErrors.notFound('backup', backupId);
    const engine = await engineOfService(trx, backup.service_id);
    if (!options.verificationEngines.includes(engine)) {
      const { label, verificationServerSetting } = engineDescriptors[engine];
      throw new ApiError('verification_unavailable', `restore drills of ${label} backups need a verification server: the operator sets ${verificationServerSetting}`);
    }
    return requestVerification(trx, backup, options.actor, options.deadlineSeconds);
  });
}

/**
 * Records a drill's verdict on its backup, once. A failed drill is audited and announced like a
 * failed backup: a backup nobody can restore is no backup.
 */
export async function applyBackupVerified(db: Kysely<ControlTables>, event: BackupVerified): Promise<string> {
  return db.transaction().execute(async (trx) => {
    if (!(await receiveOnce<ControlTables>(trx, event, 'applied'))) return 'duplicate';
    const backup = await trx.selectFrom('backups').selectAll().where('id', '=', event.payload.backupId).forUpdate().executeTakeFirst();
    if (!backup) return 'ignored: no such backup';
    const current = backup.verification as { verificationId?: string } | null;
    if (current?.verificationId && current.verificationId !== event.payload.verificationId) return 'ignored: a newer drill was asked for';
    const { verification } = event.payload;
    const updated = await trx
      .updateTable('backups')
      .set({ verification: JSON.stringify({ ...verification, verificationId: event.payload.verificationId }), updated_at: sql<Date>`now()` })
      .where('id', '=', backup.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const action = verification.status === 'passed' ? 'backup.verified' : 'backup.verification_failed';
    await recordAudit(trx, { projectId: backup.project_id, actor: 'system', action, target: { kind: 'backup', id: backup.id }, details: { problems: verification.details.problems } });
    await queueWebhookDeliveries(trx, { id: event.id, type: action, projectId: backup.project_id, occurredAt: event.occurredAt, data: { backup: backupView(updated) } });
    return `applied: ${verification.status}`;
  });
}
