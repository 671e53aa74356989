import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { WakeSignal } from '../polling/wake-signal.js';
import type { Availability } from './availability.js';
import { recordBackupRequest } from './backups.js';
import { inProgressStatuses } from './backup-status.js';
import { restoreInProgress } from './restore-status.js';
import { jitterSeconds, nextFireAfter } from './schedule-times.js';
import { type SlotOutcome, slotSkipReason } from './slot-outcome.js';
import type { ControlTables } from './tables.js';

export type { SlotOutcome } from './slot-outcome.js';

export interface SchedulerOptions {
  db: Kysely<ControlTables>;
  logger: Logger;
  /** Checked for every batch of slots: when backups are off, the slots are skipped with the reason. */
  availability: () => Promise<Availability>;
  /** Only the leader fires schedules (see db/leadership.ts); others stand by. */
  isLeader: () => boolean;
  jitterWindowSeconds: number;
  deadlineSeconds: number;
  now?: () => Date;
  pollIntervalMs?: number;
  /** Due schedules claimed per transaction. */
  batchSize?: number;
}

/**
 * Fires due schedules. A batch of due schedules is claimed with FOR UPDATE SKIP LOCKED, and in
 * the same transaction each slot is recorded (once: schedule_runs is unique per slot), its
 * backup requested or its skip explained, and its next run set from now, so a gap (downtime, a
 * kill switch) is followed by one run, never a burst of missed ones. Claiming a batch rather than
 * one schedule per transaction is what lets thousands of schedules due in the same minute fire
 * within seconds (bench/scale.ts): the checks become one query per batch, not per slot.
 */
export class Scheduler {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private readonly wakeSignal = new WakeSignal();

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeSignal.notify();
    await this.loop;
  }

  /** Fires every schedule due now; returns what happened to each slot. */
  async fireDue(): Promise<SlotOutcome[]> {
    if (!this.options.isLeader()) return [];
    const batchSize = this.options.batchSize ?? 100;
    const outcomes: SlotOutcome[] = [];
    for (;;) {
      const fired = await this.fireBatch(batchSize);
      outcomes.push(...fired);
      if (fired.length < batchSize) return outcomes;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const outcomes = await this.fireDue();
        for (const outcome of outcomes) this.options.logger.info(outcome, 'scheduled backup slot');
      } catch (error) {
        this.options.logger.warn({ err: error }, 'scheduler tick failed; will retry');
      }
      await this.wakeSignal.sleep(this.options.pollIntervalMs ?? 5000);
    }
  }

  private async fireBatch(batchSize: number): Promise<SlotOutcome[]> {
    const now = (this.options.now ?? (() => new Date()))();
    const availability = await this.options.availability();
    return this.options.db.transaction().execute(async (trx) => {
      const schedules = await trx.selectFrom('schedules').selectAll().where('next_run_at', '<=', now).orderBy('next_run_at').limit(batchSize).forUpdate().skipLocked().execute();
      if (schedules.length === 0) return [];
      const serviceIds = schedules.map((schedule) => schedule.service_id);
      // Locking the services serialises this with API requests for them; in id order, so that
      // two transactions locking several services never wait on each other in a cycle.
      const services = await trx.selectFrom('services').selectAll().where('id', 'in', serviceIds).where('archived_at', 'is', null).orderBy('id').forUpdate().execute();
      const live = new Map(services.map((service) => [service.id, service]));
      const busy = await busyServices(trx, serviceIds);
      const outcomes: SlotOutcome[] = [];
      for (const schedule of schedules) {
        const slot = schedule.next_run_at!;
        const service = live.get(schedule.service_id);
        const reason = slotSkipReason({ serviceExists: service !== undefined, availability, ...busy(schedule.service_id) });
        if (reason !== undefined) {
          outcomes.push({ serviceId: schedule.service_id, slot, outcome: 'skipped', reason });
          continue;
        }
        const backup = await recordBackupRequest(trx, {
          // slotSkipReason skipped the slot of a removed service.
          service: service!,
          trigger: 'scheduled',
          idempotencyKey: `schedule:${slot.toISOString()}`,
          requestedBy: 'scheduler',
          deadlineSeconds: this.options.deadlineSeconds,
        });
        outcomes.push({ serviceId: schedule.service_id, slot, outcome: 'requested', backupId: backup.id });
      }
      await trx
        .insertInto('schedule_runs')
        .values(
          outcomes.map((outcome) => ({
            service_id: outcome.serviceId,
            slot_at: outcome.slot,
            outcome: outcome.outcome,
            reason: outcome.outcome === 'skipped' ? outcome.reason : null,
            backup_id: outcome.outcome === 'requested' ? outcome.backupId : null,
          })),
        )
        .onConflict((conflict) => conflict.columns(['service_id', 'slot_at']).doNothing())
        .execute();
      const nextRuns = schedules.map((schedule) => ({
        serviceId: schedule.service_id,
        next: nextFireAfter(schedule.cron, schedule.timezone, now, jitterSeconds(schedule.service_id, this.options.jitterWindowSeconds)),
      }));
      await trx.updateTable('schedules').set({ next_run_at: nextRunOf(nextRuns), last_run_at: now }).where('service_id', 'in', serviceIds).execute();
      return outcomes;
    });
  }
}

/** The backups and restores in progress among `serviceIds`, two queries for the whole batch. */
async function busyServices(trx: Kysely<ControlTables>, serviceIds: string[]) {
  const backups = await trx.selectFrom('backups').select(['service_id', 'id']).where('service_id', 'in', serviceIds).where('status', 'in', inProgressStatuses).execute();
  const restores = await trx.selectFrom('restores').select(['service_id', 'id']).where('service_id', 'in', serviceIds).where('status', 'in', restoreInProgress).execute();
  const backupOf = new Map(backups.map((backup) => [backup.service_id, backup.id]));
  const restoreOf = new Map(restores.map((restore) => [restore.service_id, restore.id]));
  return (serviceId: string) => ({ backupInProgress: backupOf.get(serviceId), restoreInProgress: restoreOf.get(serviceId) });
}

/** Each schedule's own next run, in one UPDATE: with jitter, no two services of a batch share it. */
function nextRunOf(nextRuns: { serviceId: string; next: Date | null }[]) {
  const cases = nextRuns.map(({ serviceId, next }) => sql`when ${serviceId} then ${next}::timestamptz`);
  return sql<Date | null>`case ${sql.ref('service_id')} ${sql.join(cases, sql` `)} end`;
}
