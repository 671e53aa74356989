import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { EventBus, Subscription } from '../bus/event-bus.js';
import { backupRequested, checkRequested, decodeMessage, type Failure, restoreRequested, subjects, verifyRequested } from '../contracts/index.js';
import { z } from 'zod';
import { type JobCommand, recordJob } from './jobs.js';
import type { OrchestratorTables } from './tables.js';

export interface KillSwitchReading {
  engaged: boolean;
  reason: string | null;
}

export function killSwitchFailure(reading: KillSwitchReading): Failure {
  return { code: 'feature_disabled', message: `backups are disabled by the kill switch: ${reading.reason ?? 'no reason given'}` };
}

const jobCommand = z.union([backupRequested, restoreRequested, verifyRequested, checkRequested]);

/**
 * Takes `backup.requested` and `restore.requested` commands off the bus and records a job for
 * each: pending, or failed at once when the kill switch is engaged. Recording is idempotent per
 * backup and per restore, so a redelivered or replayed command never makes a second job.
 */
export async function consumeBackupCommands(options: {
  bus: EventBus;
  db: Kysely<OrchestratorTables>;
  logger: Logger;
  killSwitch: () => Promise<KillSwitchReading>;
  onRecorded: () => void;
  /** Deliveries before a command counts as poisoned. */
  maxDeliver?: number;
}): Promise<Subscription> {
  const { bus, db, logger } = options;
  return bus.consume(
    {
      durable: 'orchestrator-backup-commands',
      subjects: [subjects.backupRequested, subjects.restoreRequested, subjects.verifyRequested, subjects.checkRequested],
      concurrency: 4,
      // Minutes of retries (back-off caps at 30 s) before a command counts as poisoned: a
      // database restart is not a poison.
      maxDeliver: options.maxDeliver ?? 20,
      // A command that keeps failing must still end its backup (invariant 3), with a reason.
      onDeadLetter: async (delivery, error) => {
        const decoded = decodeMessage(jobCommand, delivery.data);
        logger.error({ err: error, messageId: delivery.id }, 'a command could not be processed; failing what it asked for');
        if (decoded.ok) await failUnprocessable(db, decoded.message, `the orchestrator could not process this command: ${describe(error)}`);
      },
    },
    async (delivery) => {
      const decoded = decodeMessage(jobCommand, delivery.data);
      if (!decoded.ok) {
        logger.error({ messageId: delivery.id, problem: decoded.problem }, 'dropped a command that does not match the contract');
        return;
      }
      const command = decoded.message;
      const reading = await options.killSwitch();
      const refusal = reading.engaged ? killSwitchFailure(reading) : null;
      const recorded = await recordJob(db, command, refusal);
      logger.info({ type: command.type, backupId: 'backupId' in command.payload ? command.payload.backupId : undefined, recorded, refused: reading.engaged }, recorded ? 'job recorded' : 'duplicate command ignored');
      if (recorded && !reading.engaged) options.onRecorded();
    },
  );
}

/** Records the job as failed; if a job already exists, the launcher owns its outcome. */
async function failUnprocessable(db: Kysely<OrchestratorTables>, command: JobCommand, message: string): Promise<void> {
  await recordJob(db, command, { code: 'invalid_command', message });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
