import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Availability } from './availability.js';
import { backupInProgress, recordBackupRequest, restoreInProgressOf } from './backups.js';
import { jitterSeconds, nextFireAfter } from './schedule-times.js';
import type { ControlTables } from './tables.js';

export interface SchedulerOptions {
  db: Kysely<ControlTables>;
  logger: Logger;
  /** Checked for every slot: when backups are off, the slot is skipped with the reason. */
  availability: () => Promise<Availability>;
  /** Only the leader fires schedules (see db/leadership.ts); others stand by. */
  isLeader: () => boolean;
  jitterWindowSeconds: number;
  deadlineSeconds: number;
  now?: () => Date;
  pollIntervalMs?: number;
  batchSize?: number;
}

export type SlotOutcome = { serviceId: string; slot: Date; outcome: 'requested'; backupId: string } | { serviceId: string; slot: Date; outcome: 'skipped'; reason: string };

/**
 * Fires due schedules. Each due schedule is claimed with FOR UPDATE SKIP LOCKED, and in the same
 * transaction its slot is recorded (once: schedule_runs is unique per slot), its backup
 * requested or its skip explained, and its next run set from now, so a gap (downtime, a kill
 * switch) is followed by one run, never a burst of missed ones.
 */
export class Scheduler {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** Fires every schedule due now; returns what happened to each slot. */
  async fireDue(): Promise<SlotOutcome[]> {
    if (!this.options.isLeader()) return [];
    const outcomes: SlotOutcome[] = [];
    for (;;) {
      const fired = await this.fireOne();
      if (!fired) return outcomes;
      outcomes.push(fired);
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
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollIntervalMs ?? 5000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async fireOne(): Promise<SlotOutcome | undefined> {
    const now = (this.options.now ?? (() => new Date()))();
    const availability = await this.options.availability();
    return this.options.db.transaction().execute(async (trx) => {
      const schedule = await trx.selectFrom('schedules').selectAll().where('next_run_at', '<=', now).orderBy('next_run_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
      if (!schedule?.next_run_at) return undefined;
      const slot = schedule.next_run_at;
      // Locking the service serialises this with an API request for the same service.
      const service = await trx.selectFrom('services').selectAll().where('id', '=', schedule.service_id).where('deleted_at', 'is', null).forUpdate().executeTakeFirst();
      let outcome: SlotOutcome;
      if (!service) {
        outcome = { serviceId: schedule.service_id, slot, outcome: 'skipped', reason: 'the service was removed' };
      } else if (!availability.available) {
        outcome = { serviceId: service.id, slot, outcome: 'skipped', reason: availability.reason ?? 'backups are unavailable' };
      } else {
        const running = await backupInProgress(trx, service.id);
        const restoring = running ? undefined : await restoreInProgressOf(trx, service.id);
        if (running) {
          outcome = { serviceId: service.id, slot, outcome: 'skipped', reason: `backup ${running} was still in progress` };
        } else if (restoring) {
          outcome = { serviceId: service.id, slot, outcome: 'skipped', reason: `restore ${restoring} was in progress` };
        } else {
          const backup = await recordBackupRequest(trx, {
            service,
            trigger: 'scheduled',
            idempotencyKey: `schedule:${slot.toISOString()}`,
            requestedBy: 'scheduler',
            deadlineSeconds: this.options.deadlineSeconds,
          });
          outcome = { serviceId: service.id, slot, outcome: 'requested', backupId: backup.id };
        }
      }
      await trx
        .insertInto('schedule_runs')
        .values({
          service_id: schedule.service_id,
          slot_at: slot,
          outcome: outcome.outcome,
          reason: outcome.outcome === 'skipped' ? outcome.reason : null,
          backup_id: outcome.outcome === 'requested' ? outcome.backupId : null,
        })
        .onConflict((conflict) => conflict.columns(['service_id', 'slot_at']).doNothing())
        .execute();
      const next = nextFireAfter(schedule.cron, schedule.timezone, now, jitterSeconds(schedule.service_id, this.options.jitterWindowSeconds));
      await trx.updateTable('schedules').set({ next_run_at: next, last_run_at: now }).where('service_id', '=', schedule.service_id).execute();
      return outcome;
    });
  }
}
