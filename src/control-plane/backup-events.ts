import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { EventBus, Subscription } from '../bus/event-bus.js';
import { artifactDeleted, type ArtifactDeleted, type BackupEvent, backupEvent, type Engine, backupVerified, checkEvent, decodeMessage, envelope, type RestoreEvent, restoreEvent, subjects } from '../contracts/index.js';
import { enqueue, receiveOnce, recordOutcome } from '../outbox/outbox.js';
import { type AuditAction, recordAudit } from './audit.js';
import { decideEvent, isTerminal } from './backup-status.js';
import { decideRestoreEvent } from './restore-status.js';
import { continueAfterSafetyBackup, restoreView } from './restores.js';
import { backupView } from './backups.js';
import { refreshExpiryDates } from './retention-sweep.js';
import { controlSchema, type ControlTables } from './tables.js';
import { applyBackupVerified, engineOfService, requestVerification } from './verifications.js';
import { applyCheckEvent } from './connection-checks.js';
import { queueWebhookDeliveries } from './webhooks.js';

/** What the orchestrator tells the control plane. */
export const orchestratorEvent = z.union([backupEvent, restoreEvent, artifactDeleted, backupVerified, checkEvent]);
export type OrchestratorEvent = z.infer<typeof orchestratorEvent>;

/**
 * Applies one orchestrator event to its backup record, once: the inbox row, the change and its
 * audit entry commit together, so a redelivered event finds its inbox row and changes nothing.
 * Returns what happened, for logs and tests.
 */
export interface EventSettings {
  jobDeadlineSeconds: number;
  /** The engines whose restore drills can run (a verification server is configured for them). */
  verificationEngines: readonly Engine[];
}

export async function applyBackupEvent(db: Kysely<ControlTables>, event: BackupEvent, options: EventSettings = { jobDeadlineSeconds: 6 * 3600, verificationEngines: [] }): Promise<string> {
  if (event.type === 'backup.progress') {
    // Progress is advisory and frequent: no inbox, and it only ever grows while the backup runs.
    const { bytesWritten, lockWait } = event.payload;
    if (lockWait !== undefined) {
      // A change of lock wait is written whatever the bytes did (they stand still while it waits).
      await db
        .updateTable('backups')
        .set({
          lock_wait: lockWait === null ? null : JSON.stringify(lockWait),
          bytes_written: sql<number | null>`case when ${bytesWritten} > coalesce(bytes_written, 0) then ${bytesWritten}::bigint else bytes_written end`,
          updated_at: new Date(),
        })
        .where('id', '=', event.payload.backupId)
        .where('status', 'in', ['queued', 'running'])
        .execute();
      return 'progress';
    }
    await db
      .updateTable('backups')
      .set({ bytes_written: bytesWritten, updated_at: new Date() })
      .where('id', '=', event.payload.backupId)
      .where('status', 'in', ['queued', 'running'])
      .where((eb) => eb.or([eb('bytes_written', 'is', null), eb('bytes_written', '<', bytesWritten)]))
      .execute();
    return 'progress';
  }
  return db.transaction().execute(async (trx) => {
    if (!(await receiveOnce<ControlTables>(trx, event, 'received'))) return 'duplicate';
    const backup = await trx.selectFrom('backups').select(['status', 'project_id', 'service_id', 'trigger']).where('id', '=', event.payload.backupId).forUpdate().executeTakeFirst();
    let outcome: string;
    if (!backup) {
      outcome = 'ignored: no such backup';
    } else {
      const decision = decideEvent(backup.status, event);
      if (decision.apply) {
        let updated = await trx
          .updateTable('backups')
          .set({ ...decision.change, updated_at: new Date() })
          .where('id', '=', event.payload.backupId)
          .returningAll()
          .executeTakeFirstOrThrow();
        // A new success can push older backups out by count rules: their dates change with it, as the retention preview's do.
        if (updated.status === 'succeeded') {
          await refreshExpiryDates(trx, updated.service_id);
          updated = await trx.selectFrom('backups').selectAll().where('id', '=', updated.id).executeTakeFirstOrThrow();
        }
        await queueWebhookDeliveries(trx, { id: event.id, type: event.type, projectId: updated.project_id, occurredAt: event.occurredAt, data: { backup: backupView(updated) } });
        // A restore in place waits for its safety backup to end.
        if (updated.trigger === 'safety' && isTerminal(updated.status)) await continueAfterSafetyBackup(trx, updated.id, updated.status, options.jobDeadlineSeconds);
        // Services that ask for it get a restore drill of every scheduled backup.
        if (updated.status === 'succeeded' && updated.trigger === 'scheduled') {
          const schedule = await trx.selectFrom('schedules').select('verify').where('service_id', '=', updated.service_id).executeTakeFirst();
          if (schedule?.verify && options.verificationEngines.includes(await engineOfService(trx, updated.service_id))) {
            await requestVerification(trx, updated, 'scheduler', options.jobDeadlineSeconds);
          }
        }
        await recordAudit(trx, {
          projectId: backup.project_id,
          actor: 'system',
          action: auditActionOf(event.type),
          target: { kind: 'backup', id: event.payload.backupId },
          details: decision.change.failure_code ? { failure: { code: decision.change.failure_code, message: decision.change.failure_message } } : {},
        });
        outcome = `applied: ${backup.status} -> ${decision.change.status}`;
      } else {
        outcome = `ignored: ${decision.reason}`;
        // Files of a backup that was already given up on (or canceled) belong to no record: remove them.
        if (event.type === 'backup.succeeded' && (backup.status === 'failed' || backup.status === 'canceled')) {
          await enqueue<ControlTables>(
            trx,
            controlSchema,
            envelope('artifact.delete_requested', { correlationId: event.payload.backupId, projectId: backup.project_id }, { backupId: event.payload.backupId, serviceId: backup.service_id, reason: 'abandoned' as const }),
          );
        }
      }
    }
    await recordOutcome<ControlTables>(trx, event.id, outcome);
    return outcome;
  });
}

/** Applies a restore event to its restore record, once, with its audit entry; like `applyBackupEvent`. */
export async function applyRestoreEvent(db: Kysely<ControlTables>, event: RestoreEvent): Promise<string> {
  return db.transaction().execute(async (trx) => {
    if (!(await receiveOnce<ControlTables>(trx, event, 'received'))) return 'duplicate';
    const restore = await trx.selectFrom('restores').select(['status', 'project_id']).where('id', '=', event.payload.restoreId).forUpdate().executeTakeFirst();
    let outcome: string;
    if (!restore) {
      outcome = 'ignored: no such restore';
    } else {
      const decision = decideRestoreEvent(restore.status, event);
      if (decision.apply) {
        const { dropped, ...change } = decision.change;
        const updated = await trx
          .updateTable('restores')
          .set({ ...change, ...(dropped ? { dropped: JSON.stringify(dropped) } : {}), updated_at: new Date() })
          .where('id', '=', event.payload.restoreId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await recordAudit(trx, {
          projectId: restore.project_id,
          actor: 'system',
          action: event.type,
          target: { kind: 'restore', id: event.payload.restoreId },
          details: change.failure_code ? { failure: { code: change.failure_code, message: change.failure_message } } : dropped ? { dropped: dropped.total } : {},
        });
        await queueWebhookDeliveries(trx, { id: event.id, type: event.type, projectId: updated.project_id, occurredAt: event.occurredAt, data: { restore: restoreView(updated) } });
        outcome = `applied: ${restore.status} -> ${decision.change.status}`;
      } else {
        outcome = `ignored: ${decision.reason}`;
      }
    }
    await recordOutcome<ControlTables>(trx, event.id, outcome);
    return outcome;
  });
}

/** Records that a backup's files are gone from storage (after expiry or deletion). */
export async function applyArtifactDeleted(db: Kysely<ControlTables>, event: ArtifactDeleted): Promise<string> {
  return db.transaction().execute(async (trx) => {
    if (!(await receiveOnce<ControlTables>(trx, event, 'applied'))) return 'duplicate';
    const row = await trx
      .updateTable('backups')
      .set({ artifact_deleted_at: new Date(event.payload.deletedAt) })
      .where('id', '=', event.payload.backupId)
      .returning(['project_id'])
      .executeTakeFirst();
    if (row) {
      await recordAudit(trx, {
        projectId: row.project_id,
        actor: 'system',
        action: 'artifact.deleted',
        target: { kind: 'backup', id: event.payload.backupId },
        details: { objectsDeleted: event.payload.objectsDeleted },
      });
    }
    return row ? 'applied' : 'ignored: no such backup';
  });
}

/** Consumes the orchestrator's events from the bus and applies them. */
export async function consumeBackupEvents(options: {
  bus: EventBus;
  db: Kysely<ControlTables>;
  logger: Logger;
  settings: EventSettings;
  onApplied?: (event: OrchestratorEvent, outcome: string) => void;
}): Promise<Subscription> {
  const { bus, db, logger } = options;
  return bus.consume(
    {
      durable: 'control-plane-backup-events',
      subjects: [...subjects.backupEvents, ...subjects.restoreEvents, ...subjects.artifactEvents, ...subjects.checkEvents],
      concurrency: 4,
      // An event is how a backup learns it ended: keep trying through any outage (back-off caps
      // at 30 s, so this is hours) rather than drop it.
      maxDeliver: 1000,
      onDeadLetter: async (delivery, error) => {
        logger.error({ err: error, messageId: delivery.id, subject: delivery.subject }, 'an orchestrator event could not be applied and was dropped');
      },
    },
    async (delivery) => {
      const decoded = decodeMessage(orchestratorEvent, delivery.data);
      if (!decoded.ok) {
        logger.error({ messageId: delivery.id, subject: delivery.subject, problem: decoded.problem }, 'dropped an orchestrator event that does not match the contract');
        return;
      }
      const event = decoded.message;
      let outcome: string;
      switch (event.type) {
        case 'artifact.deleted':
          outcome = await applyArtifactDeleted(db, event);
          break;
        case 'restore.started':
        case 'restore.succeeded':
        case 'restore.failed':
          outcome = await applyRestoreEvent(db, event);
          break;
        case 'backup.verified':
          outcome = await applyBackupVerified(db, event);
          break;
        case 'check.succeeded':
        case 'check.failed':
          outcome = await applyCheckEvent(db, event);
          break;
        default:
          outcome = await applyBackupEvent(db, event, options.settings);
      }
      logger.debug({ messageId: delivery.id, type: event.type, outcome }, 'orchestrator event');
      options.onApplied?.(event, outcome);
    },
  );
}

function auditActionOf(type: Exclude<BackupEvent['type'], 'backup.progress'>): AuditAction {
  return type;
}
