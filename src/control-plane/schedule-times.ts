import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import { scheduleIntervalProblem } from './schedule-interval.js';

/**
 * When scheduled backups fire. Pure: cron slots come from croner in the schedule's IANA
 * timezone (a slot that a DST jump skips fires at the first valid minute after it; a slot that
 * a fall-back repeats fires once), and each service fires at a fixed offset after its slots so
 * that thousands of `0 0 * * *` schedules do not start at the same second.
 */

export type ScheduleProblem = { field: 'cron' | 'timezone'; message: string };

export function checkSchedule(cron: string, timeZone: string, minIntervalSeconds: number): ScheduleProblem | null {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    return { field: 'timezone', message: `${JSON.stringify(timeZone)} is not an IANA timezone such as Europe/Berlin` };
  }
  try {
    const schedule = new Cron(cron, { timezone: timeZone, paused: true });
    if (!schedule.nextRun()) return { field: 'cron', message: 'this cron expression never fires' };
  } catch (error) {
    return { field: 'cron', message: `not a cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')}` };
  }
  const tooOften = scheduleIntervalProblem(cron, minIntervalSeconds);
  return tooOften ? { field: 'cron', message: tooOften } : null;
}

/** A problem as the API says it: the value named in words, not `cron: …`. */
export function scheduleProblemText(problem: ScheduleProblem, cron: string): string {
  return problem.field === 'cron' ? `The schedule ${JSON.stringify(cron)}: ${problem.message}` : `The timezone ${problem.message}`;
}

/** A service's fixed offset within the jitter window, from its id: the same on every replica and every run. */
export function jitterSeconds(serviceId: string, windowSeconds: number): number {
  if (windowSeconds <= 0) return 0;
  return createHash('sha256').update(serviceId).digest().readUInt32BE(0) % windowSeconds;
}

/**
 * The first time the schedule fires strictly after `after`: its next slot plus the service's
 * offset. Missed slots are not replayed: after downtime, the next run is the next one due.
 */
export function nextFireAfter(cron: string, timeZone: string, after: Date, offsetSeconds: number): Date | null {
  const slot = new Cron(cron, { timezone: timeZone, paused: true }).nextRun(new Date(after.getTime() - offsetSeconds * 1000));
  return slot ? new Date(slot.getTime() + offsetSeconds * 1000) : null;
}

/** The next `count` fire times after `after` (for the dashboard's schedule editor). */
export function upcomingFires(cron: string, timeZone: string, after: Date, offsetSeconds: number, count: number): Date[] {
  const fires: Date[] = [];
  let cursor = after;
  for (let i = 0; i < count; i++) {
    const next = nextFireAfter(cron, timeZone, cursor, offsetSeconds);
    if (!next) break;
    fires.push(next);
    cursor = next;
  }
  return fires;
}
