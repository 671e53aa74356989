import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { EventBus, Subscription } from '../bus/event-bus.js';
import { type ArtifactDeleteRequested, artifactDeleteRequested, artifactPrefixOf, backupCancelRequested, decodeMessage, envelope, killSwitchChanged, subjects } from '../contracts/index.js';
import { enqueue, receiveOnce } from '../outbox/outbox.js';
import type { ObjectStore } from '../storage/object-store.js';
import { requestCancel } from './jobs.js';
import { recordKillSwitch } from './kill-switch.js';
import { orchestratorSchema, type OrchestratorTables } from './tables.js';

const orchestratorCommand = z.union([backupCancelRequested, artifactDeleteRequested]);

/**
 * Cancels and artifact deletions, from the control plane. Each is idempotent: a redelivered
 * cancel finds the job already canceled, and deleting files that are gone deletes nothing.
 */
export async function consumeOrchestratorCommands(options: {
  bus: EventBus;
  db: Kysely<OrchestratorTables>;
  store: ObjectStore;
  logger: Logger;
  /** Stops a job if this process runs it. */
  stopIfRunningHere: (jobId: string) => Promise<void>;
}): Promise<Subscription> {
  const { bus, db, logger } = options;
  // Retried through any outage (back-off caps at 30 s): dropping a cancel or a deletion breaks a promise.
  return bus.consume({ durable: 'orchestrator-commands', subjects: subjects.orchestratorCommands, concurrency: 1, maxDeliver: 1000 }, async (delivery) => {
    const decoded = decodeMessage(orchestratorCommand, delivery.data);
    if (!decoded.ok) {
      logger.error({ messageId: delivery.id, subject: delivery.subject, problem: decoded.problem }, 'dropped a command that does not match the contract');
      return;
    }
    const command = decoded.message;
    if (command.type === 'backup.cancel_requested') {
      const { running } = await requestCancel(db, command);
      logger.info({ backupId: command.payload.backupId, running: running?.id }, 'cancel requested');
      if (running) await options.stopIfRunningHere(running.id);
      return;
    }
    await deleteArtifacts(db, options.store, command);
    logger.info({ backupId: command.payload.backupId, reason: command.payload.reason }, 'artifact deleted');
  });
}

/**
 * The operator's kill switch, on a consumer of its own: a deletion stuck on stalled storage must
 * not hold it up (the chaos harness saw a job launched seconds after the switch was engaged).
 * Changes may arrive out of order; recordKillSwitch keeps the newest.
 */
export async function consumeKillSwitch(options: { bus: EventBus; db: Kysely<OrchestratorTables>; logger: Logger }): Promise<Subscription> {
  const { db, logger } = options;
  return options.bus.consume({ durable: 'orchestrator-kill-switch', subjects: [subjects.killSwitchChanged], concurrency: 1, maxDeliver: 1000 }, async (delivery) => {
    const decoded = decodeMessage(killSwitchChanged, delivery.data);
    if (!decoded.ok) {
      logger.error({ messageId: delivery.id, subject: delivery.subject, problem: decoded.problem }, 'dropped a kill switch change that does not match the contract');
      return;
    }
    const change = decoded.message;
    await recordKillSwitch(db, change);
    logger.warn({ engaged: change.payload.engaged, reason: change.payload.reason, by: change.payload.changedBy }, 'kill switch changed');
  });
}

async function deleteArtifacts(db: Kysely<OrchestratorTables>, store: ObjectStore, command: ArtifactDeleteRequested): Promise<void> {
  // Recorded first, so that the orphan sweep finishes the job if storage stays away longer than
  // this command is retried.
  await db
    .updateTable('jobs')
    .set({ artifact_delete_requested_at: new Date() })
    .where('kind', '=', 'backup')
    .where('backup_id', '=', command.payload.backupId)
    .where('artifact_delete_requested_at', 'is', null)
    .execute();
  // Storage next: if it fails, the command is redelivered and nothing claims the files are gone.
  const objectsDeleted = await store.deletePrefix(artifactPrefixOf({ projectId: command.projectId, serviceId: command.payload.serviceId, backupId: command.payload.backupId }));
  await db.transaction().execute(async (trx) => {
    if (!(await receiveOnce<OrchestratorTables>(trx, command, 'deleted'))) return;
    await enqueue<OrchestratorTables>(
      trx,
      orchestratorSchema,
      envelope('artifact.deleted', command, { backupId: command.payload.backupId, objectsDeleted, deletedAt: new Date().toISOString() }),
    );
  });
}
