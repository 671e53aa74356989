import { z } from 'zod';
import type { BackupTrigger } from '../contracts/index.js';

/**
 * A service's retention policy. Scheduled backups are kept by grandfather-father-son count
 * rules (the newest of each of the last N days, ISO weeks and months, counted in the schedule's
 * timezone) and by `keepLast`, all capped by `maxAgeDays`; manual backups by their own age
 * limit. Whatever the rules say, a service's newest succeeded backup is never expired: a
 * service is never left with nothing to restore.
 */
export const retentionPolicy = z
  .object({
    keepLast: z.number().int().min(0).max(10_000).optional().describe('keep the newest N scheduled backups'),
    keepDaily: z.number().int().min(0).max(10_000).optional().describe('keep the newest backup of each of the last N days'),
    keepWeekly: z.number().int().min(0).max(10_000).optional().describe('keep the newest backup of each of the last N weeks'),
    keepMonthly: z.number().int().min(0).max(10_000).optional().describe('keep the newest backup of each of the last N months'),
    maxAgeDays: z.number().int().min(1).max(36_500).optional().describe('expire scheduled backups older than N days'),
    /** Manual backups are not counted by the rules above; unset keeps them until deleted. */
    manualMaxAgeDays: z.number().int().min(1).max(36_500).optional().describe('expire manual backups older than N days; unset: kept until deleted'),
  })
  .strict();
export type RetentionPolicy = z.infer<typeof retentionPolicy>;

export interface RetainedBackup {
  id: string;
  finishedAt: Date;
  /** Anything not scheduled (manual, and the safety backups of in-place restores) follows the manual rule. */
  trigger: BackupTrigger;
}

export interface RetentionDecision {
  /** Why each kept backup is kept. */
  keep: Map<string, string[]>;
  /** What falls out, and why. */
  expire: { id: string; reason: string }[];
}

const dayMs = 24 * 3600 * 1000;

/** Applies `policy` to a service's succeeded backups as of `now`. Pure. */
export function applyRetention(backups: readonly RetainedBackup[], policy: RetentionPolicy, timeZone: string, now: Date): RetentionDecision {
  const newestFirst = [...backups].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime() || (a.id < b.id ? 1 : -1));
  const keep = new Map<string, string[]>();
  const keepFor = (id: string, reason: string) => keep.set(id, [...(keep.get(id) ?? []), reason]);

  const scheduled = newestFirst.filter((backup) => backup.trigger === 'scheduled');
  const countRules = [policy.keepLast, policy.keepDaily, policy.keepWeekly, policy.keepMonthly].some((count) => count !== undefined);
  const tooOld = (backup: RetainedBackup, days: number | undefined) => days !== undefined && now.getTime() - backup.finishedAt.getTime() > days * dayMs;

  if (countRules) {
    scheduled.slice(0, policy.keepLast ?? 0).forEach((backup) => keepFor(backup.id, 'last'));
    const periods: [number | undefined, string, (date: Date) => string][] = [
      [policy.keepDaily, 'daily', (date) => calendarDay(date, timeZone)],
      [policy.keepWeekly, 'weekly', (date) => isoWeek(date, timeZone)],
      [policy.keepMonthly, 'monthly', (date) => calendarDay(date, timeZone).slice(0, 7)],
    ];
    for (const [count, rule, periodOf] of periods) {
      if (!count) continue;
      const seen = new Set<string>();
      for (const backup of scheduled) {
        const period = periodOf(backup.finishedAt);
        if (seen.has(period)) continue;
        seen.add(period);
        if (seen.size > count) break;
        keepFor(backup.id, `${rule} ${period}`);
      }
    }
  } else {
    scheduled.forEach((backup) => keepFor(backup.id, 'no count rule'));
  }
  for (const backup of scheduled) {
    if (keep.has(backup.id) && tooOld(backup, policy.maxAgeDays)) keep.delete(backup.id);
  }
  for (const backup of newestFirst.filter((candidate) => candidate.trigger !== 'scheduled')) {
    if (!tooOld(backup, policy.manualMaxAgeDays)) keepFor(backup.id, 'manual');
  }
  const newest = newestFirst[0];
  if (newest) keepFor(newest.id, 'newest');

  const expire = newestFirst
    .filter((backup) => !keep.has(backup.id))
    .map((backup) => ({ id: backup.id, reason: expiryReason(backup, policy, now) }));
  return { keep, expire };
}

/**
 * The date a backup expires by age, if the policy limits age: what the API shows as
 * `expiresAt`. Count rules expire backups as newer ones arrive, which no date can say.
 */
export function expiryByAge(backup: Omit<RetainedBackup, 'id'>, policy: RetentionPolicy): Date | null {
  const days = backup.trigger === 'scheduled' ? policy.maxAgeDays : policy.manualMaxAgeDays;
  return days === undefined ? null : new Date(backup.finishedAt.getTime() + days * dayMs);
}

/**
 * When each succeeded backup expires, by the same decision the retention preview shows: what
 * the policy lets go now is due now (since its age limit passed, or since `now` when a count
 * rule dropped it), what it keeps expires when its age limit passes, and null means no date
 * can be given (kept until newer backups push it out, or kept as the newest). Pure; the
 * backup view stores it as `expiresAt`, refreshed whenever a backup succeeds or is deleted or
 * the policy changes, so `expiresAt < now` says exactly "the policy would expire it now".
 * Without a policy every backup is kept: pass `undefined`.
 */
export function expiryDates(backups: readonly RetainedBackup[], policy: RetentionPolicy | undefined, timeZone: string, now: Date): Map<string, Date | null> {
  const dates = new Map<string, Date | null>(backups.map((backup) => [backup.id, null]));
  if (!policy) return dates;
  const decision = applyRetention(backups, policy, timeZone, now);
  const due = new Set(decision.expire.map(({ id }) => id));
  for (const backup of backups) {
    const byAge = expiryByAge(backup, policy);
    if (due.has(backup.id)) dates.set(backup.id, byAge !== null && byAge < now ? byAge : now);
    // The newest is never expired, whatever its age: no date would come true while it is the newest.
    else if (decision.keep.get(backup.id)?.includes('newest')) dates.set(backup.id, null);
    else dates.set(backup.id, byAge);
  }
  return dates;
}

/** Whether a backup view's `expiresAt` says the policy would expire it now (the next retention sweep does). */
export function isDue(expiresAt: Date | null, now: Date): boolean {
  return expiresAt !== null && expiresAt.getTime() < now.getTime();
}

function expiryReason(backup: RetainedBackup, policy: RetentionPolicy, now: Date): string {
  const days = backup.trigger === 'scheduled' ? policy.maxAgeDays : policy.manualMaxAgeDays;
  if (days !== undefined && now.getTime() - backup.finishedAt.getTime() > days * dayMs) return `older than ${days} days`;
  return 'not kept by any count rule';
}

/** `2026-03-29` in `timeZone`. */
export function calendarDay(date: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  return format.format(date);
}

/**
 * One formatter per time zone: making one costs far more than formatting with it, and a
 * retention sweep formats every succeeded backup of every service (bench/scale.ts).
 */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** `2026-W13`: the ISO 8601 week of the calendar day in `timeZone`. */
export function isoWeek(date: Date, timeZone: string): string {
  const [year, month, day] = calendarDay(date, timeZone).split('-').map(Number) as [number, number, number];
  const utc = new Date(Date.UTC(year, month - 1, day));
  const weekday = utc.getUTCDay() || 7;
  utc.setUTCDate(utc.getUTCDate() + 4 - weekday);
  const weekYear = utc.getUTCFullYear();
  const week = Math.ceil(((utc.getTime() - Date.UTC(weekYear, 0, 1)) / dayMs + 1) / 7);
  return `${weekYear}-W${String(week).padStart(2, '0')}`;
}
