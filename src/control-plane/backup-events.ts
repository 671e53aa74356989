import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { EventBus, Subscription } from '../bus/event-bus.js';
import { type BackupEvent, backupEvent, decodeMessage, subjects } from '../contracts/index.js';
import { receiveOnce, recordOutcome } from '../outbox/outbox.js';
import { decideEvent } from './backup-status.js';
import type { ControlTables } from './tables.js';

/**
 * Applies one orchestrator event to its backup record, once: the inbox row and the change
 * commit together, so a redelivered event finds its inbox row and changes nothing. Returns
 * what happened, for logs and tests.
 */
export async function applyBackupEvent(db: Kysely<ControlTables>, event: BackupEvent): Promise<string> {
  if (event.type === 'backup.progress') return 'progress';
  return db.transaction().execute(async (trx) => {
    if (!(await receiveOnce<ControlTables>(trx, event, 'received'))) return 'duplicate';
    const backup = await trx.selectFrom('backups').select('status').where('id', '=', event.payload.backupId).forUpdate().executeTakeFirst();
    let outcome: string;
    if (!backup) {
      outcome = 'ignored: no such backup';
    } else {
      const decision = decideEvent(backup.status, event);
      if (decision.apply) {
        await trx
          .updateTable('backups')
          .set({ ...decision.change, updated_at: new Date() })
          .where('id', '=', event.payload.backupId)
          .execute();
        outcome = `applied: ${backup.status} -> ${decision.change.status}`;
      } else {
        outcome = `ignored: ${decision.reason}`;
      }
    }
    await recordOutcome<ControlTables>(trx, event.id, outcome);
    return outcome;
  });
}

/** Consumes the orchestrator's backup events from the bus and applies them. */
export async function consumeBackupEvents(options: {
  bus: EventBus;
  db: Kysely<ControlTables>;
  logger: Logger;
  onApplied?: (event: BackupEvent, outcome: string) => void;
}): Promise<Subscription> {
  const { bus, db, logger } = options;
  return bus.consume(
    {
      durable: 'control-plane-backup-events',
      subjects: subjects.backupEvents,
      concurrency: 4,
      onDeadLetter: async (delivery, error) => {
        logger.error({ err: error, messageId: delivery.id, subject: delivery.subject }, 'backup event could not be applied and was dropped');
      },
    },
    async (delivery) => {
      const decoded = decodeMessage(backupEvent, delivery.data);
      if (!decoded.ok) {
        logger.error({ messageId: delivery.id, subject: delivery.subject, problem: decoded.problem }, 'dropped a backup event that does not match the contract');
        return;
      }
      const event = decoded.message;
      const outcome = await applyBackupEvent(db, event);
      logger.debug({ messageId: delivery.id, type: event.type, backupId: event.payload.backupId, outcome }, 'backup event');
      options.onApplied?.(event, outcome);
    },
  );
}
