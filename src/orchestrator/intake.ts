import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { EventBus, Subscription } from '../bus/event-bus.js';
import { type BackupRequested, backupRequested, decodeMessage, type Failure, subjects } from '../contracts/index.js';
import { recordJob } from './jobs.js';
import type { OrchestratorTables } from './tables.js';

export interface KillSwitchReading {
  engaged: boolean;
  reason: string | null;
}

export function killSwitchFailure(reading: KillSwitchReading): Failure {
  return { code: 'feature_disabled', message: `backups are disabled by the kill switch: ${reading.reason ?? 'no reason given'}` };
}

/**
 * Takes `backup.requested` commands off the bus and records a job for each: pending, or failed
 * at once when the kill switch is engaged. Recording is idempotent per backup, so a redelivered
 * or replayed command never makes a second job.
 */
export async function consumeBackupCommands(options: {
  bus: EventBus;
  db: Kysely<OrchestratorTables>;
  logger: Logger;
  killSwitch: () => Promise<KillSwitchReading>;
  onRecorded: () => void;
}): Promise<Subscription> {
  const { bus, db, logger } = options;
  return bus.consume(
    {
      durable: 'orchestrator-backup-commands',
      subjects: [subjects.backupRequested],
      concurrency: 4,
      // A command that keeps failing must still end its backup (invariant 3), with a reason.
      onDeadLetter: async (delivery, error) => {
        const decoded = decodeMessage(backupRequested, delivery.data);
        logger.error({ err: error, messageId: delivery.id }, 'a backup command could not be processed; failing its backup');
        if (decoded.ok) await failUnprocessable(db, decoded.message, `the orchestrator could not process this backup: ${describe(error)}`);
      },
    },
    async (delivery) => {
      const decoded = decodeMessage(backupRequested, delivery.data);
      if (!decoded.ok) {
        logger.error({ messageId: delivery.id, problem: decoded.problem }, 'dropped a backup command that does not match the contract');
        return;
      }
      const reading = await options.killSwitch();
      const recorded = await recordJob(db, decoded.message, reading.engaged ? killSwitchFailure(reading) : null);
      logger.info({ backupId: decoded.message.payload.backupId, recorded, refused: reading.engaged }, recorded ? 'backup job recorded' : 'duplicate backup command ignored');
      if (recorded && !reading.engaged) options.onRecorded();
    },
  );
}

/** Records the backup's job as failed; if a job already exists, the launcher owns its outcome. */
async function failUnprocessable(db: Kysely<OrchestratorTables>, command: BackupRequested, message: string): Promise<void> {
  await recordJob(db, command, { code: 'invalid_command', message });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
