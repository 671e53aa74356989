import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyRetention, calendarDay, expiryByAge, expiryDates, isDue, isoWeek, type RetainedBackup, type RetentionPolicy } from './retention.js';

const dayMs = 24 * 3600 * 1000;
const now = new Date('2026-11-24T12:00:00Z');
const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland'];

/**
 * The GFS definition, written independently of the implementation: for each rule, group the
 * scheduled backups by period, take the newest `count` periods, keep the newest backup of each.
 */
function expectedKeep(backups: RetainedBackup[], policy: RetentionPolicy, zone: string): Set<string> {
  const byTime = (a: RetainedBackup, b: RetainedBackup) => b.finishedAt.getTime() - a.finishedAt.getTime() || (a.id < b.id ? 1 : -1);
  const scheduled = backups.filter((b) => b.trigger === 'scheduled').sort(byTime);
  const withinAge = (b: RetainedBackup, days: number | undefined) => days === undefined || now.getTime() - b.finishedAt.getTime() <= days * dayMs;
  const kept = new Set<string>();
  const anyCountRule = [policy.keepLast, policy.keepDaily, policy.keepWeekly, policy.keepMonthly].some((n) => n !== undefined);
  const candidates = new Set<string>(anyCountRule ? [] : scheduled.map((b) => b.id));
  scheduled.slice(0, policy.keepLast ?? 0).forEach((b) => candidates.add(b.id));
  for (const [count, period] of [
    [policy.keepDaily, (d: Date) => calendarDay(d, zone)],
    [policy.keepWeekly, (d: Date) => isoWeek(d, zone)],
    [policy.keepMonthly, (d: Date) => calendarDay(d, zone).slice(0, 7)],
  ] as const) {
    const groups = new Map<string, RetainedBackup[]>();
    for (const b of scheduled) groups.set(period(b.finishedAt), [...(groups.get(period(b.finishedAt)) ?? []), b]);
    const newestOfEach = [...groups.values()].map((group) => group.sort(byTime)[0]!).sort(byTime);
    newestOfEach.slice(0, count ?? 0).forEach((b) => candidates.add(b.id));
  }
  for (const b of scheduled) if (candidates.has(b.id) && withinAge(b, policy.maxAgeDays)) kept.add(b.id);
  for (const b of backups) if (b.trigger === 'manual' && withinAge(b, policy.manualMaxAgeDays)) kept.add(b.id);
  const newest = [...backups].sort(byTime)[0];
  if (newest) kept.add(newest.id);
  return kept;
}

const history = fc
  .array(
    fc.record({
      ageMinutes: fc.integer({ min: 0, max: 2 * 365 * 24 * 60 }),
      trigger: fc.constantFrom<'manual' | 'scheduled'>('scheduled', 'scheduled', 'scheduled', 'manual'),
    }),
    { maxLength: 120 },
  )
  .map((entries) => entries.map((entry, index) => ({ id: `bkp_${String(index).padStart(4, '0')}`, trigger: entry.trigger, finishedAt: new Date(now.getTime() - entry.ageMinutes * 60_000) })));

const policy = fc.record(
  {
    keepLast: fc.integer({ min: 0, max: 10 }),
    keepDaily: fc.integer({ min: 0, max: 14 }),
    keepWeekly: fc.integer({ min: 0, max: 8 }),
    keepMonthly: fc.integer({ min: 0, max: 24 }),
    maxAgeDays: fc.integer({ min: 1, max: 800 }),
    manualMaxAgeDays: fc.integer({ min: 1, max: 800 }),
  },
  { requiredKeys: [] },
);

describe('retention', () => {
  it('keeps exactly what the GFS definition keeps, for random histories and policies', () => {
    fc.assert(
      fc.property(history, policy, fc.constantFrom(...zones), (backups, rules, zone) => {
        const decision = applyRetention(backups, rules, zone, now);
        expect(new Set(decision.keep.keys())).toEqual(expectedKeep(backups, rules, zone));
        expect(decision.keep.size + decision.expire.length).toBe(backups.length);
      }),
      { numRuns: 500 },
    );
  });

  it('never expires the newest succeeded backup', () => {
    fc.assert(
      fc.property(history.filter((backups) => backups.length > 0), policy, fc.constantFrom(...zones), (backups, rules, zone) => {
        const newest = [...backups].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime() || (a.id < b.id ? 1 : -1))[0]!;
        const decision = applyRetention(backups, { ...rules, keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, maxAgeDays: 1, manualMaxAgeDays: 1 }, zone, now);
        expect(decision.keep.has(newest.id)).toBe(true);
        expect(applyRetention(backups, rules, zone, now).keep.has(newest.id)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the newest of each day, counted in the schedule timezone', () => {
    // 23:30 and 00:30 UTC are one Berlin day apart from UTC's view around midnight.
    const backups: RetainedBackup[] = [
      { id: 'a', trigger: 'scheduled', finishedAt: new Date('2026-11-23T23:30:00Z') },
      { id: 'b', trigger: 'scheduled', finishedAt: new Date('2026-11-23T22:30:00Z') },
      { id: 'c', trigger: 'scheduled', finishedAt: new Date('2026-11-22T12:00:00Z') },
    ];
    expect([...applyRetention(backups, { keepDaily: 2 }, 'UTC', now).keep.keys()].sort()).toEqual(['a', 'c']);
    // In Berlin 23:30Z is already 24 November, so a and b fall on different days.
    expect([...applyRetention(backups, { keepDaily: 2 }, 'Europe/Berlin', now).keep.keys()].sort()).toEqual(['a', 'b']);
  });

  it('explains each expiry, and dates expiry by age', () => {
    const backups: RetainedBackup[] = [
      { id: 'new', trigger: 'scheduled', finishedAt: new Date(now.getTime() - dayMs) },
      { id: 'old', trigger: 'scheduled', finishedAt: new Date(now.getTime() - 40 * dayMs) },
      { id: 'extra', trigger: 'scheduled', finishedAt: new Date(now.getTime() - 2 * dayMs) },
    ];
    expect(applyRetention(backups, { keepLast: 3, maxAgeDays: 30 }, 'UTC', now).expire).toEqual([{ id: 'old', reason: 'older than 30 days' }]);
    expect(applyRetention(backups, { keepLast: 1 }, 'UTC', now).expire.map((e) => e.reason)).toEqual(['not kept by any count rule', 'not kept by any count rule']);
    expect(expiryByAge({ trigger: 'scheduled', finishedAt: now }, { maxAgeDays: 7 })).toEqual(new Date(now.getTime() + 7 * dayMs));
    expect(expiryByAge({ trigger: 'manual', finishedAt: now }, { maxAgeDays: 7 })).toBeNull();
  });

  it('dates expiry as the preview decides it: due exactly when the policy would expire it now', () => {
    fc.assert(
      fc.property(history, policy, fc.constantFrom(...zones), (backups, rules, zone) => {
        const dates = expiryDates(backups, rules, zone, now);
        const expiring = new Set(applyRetention(backups, rules, zone, now).expire.map(({ id }) => id));
        for (const backup of backups) expect(isDue(dates.get(backup.id)!, new Date(now.getTime() + 1))).toBe(expiring.has(backup.id));
      }),
      { numRuns: 300 },
    );
  });

  it('gives kept backups the date the policy lets them go, and none to what no date can say', () => {
    fc.assert(
      fc.property(history, policy, fc.constantFrom(...zones), (backups, rules, zone) => {
        const dates = expiryDates(backups, rules, zone, now);
        const expiringAt = (at: Date) => new Set(applyRetention(backups, rules, zone, at).expire.map(({ id }) => id));
        const muchLater = new Date(now.getTime() + 900 * dayMs);
        for (const backup of backups) {
          const date = dates.get(backup.id)!;
          if (date === null) expect(expiringAt(muchLater).has(backup.id) && !expiringAt(now).has(backup.id) ? backup.id : null).toBeNull();
          else if (date > now) {
            expect(expiringAt(new Date(date.getTime() - 1)).has(backup.id)).toBe(false);
            expect(expiringAt(new Date(date.getTime() + 1)).has(backup.id)).toBe(true);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('says when a due backup became due: its age limit, or now when a count rule drops it', () => {
    const at = (days: number) => new Date(now.getTime() - days * dayMs);
    const backups: RetainedBackup[] = [
      { id: 'bkp_new', trigger: 'scheduled', finishedAt: at(1) },
      { id: 'bkp_mid', trigger: 'scheduled', finishedAt: at(2) },
      { id: 'bkp_old', trigger: 'scheduled', finishedAt: at(40) },
    ];
    const dates = expiryDates(backups, { keepLast: 1, maxAgeDays: 30 }, 'UTC', now);
    expect(dates.get('bkp_new')).toBeNull();
    expect(dates.get('bkp_mid')).toEqual(now);
    expect(dates.get('bkp_old')).toEqual(new Date(at(40).getTime() + 30 * dayMs));
    expect(expiryDates(backups, { keepLast: 3, maxAgeDays: 30 }, 'UTC', now).get('bkp_mid')).toEqual(new Date(at(2).getTime() + 30 * dayMs));
    expect([...expiryDates(backups, undefined, 'UTC', now).values()]).toEqual([null, null, null]);
  });

  it('numbers ISO weeks across the year boundary', () => {
    expect(isoWeek(new Date('2026-12-31T12:00:00Z'), 'UTC')).toBe('2026-W53');
    expect(isoWeek(new Date('2027-01-03T12:00:00Z'), 'UTC')).toBe('2026-W53');
    expect(isoWeek(new Date('2027-01-04T12:00:00Z'), 'UTC')).toBe('2027-W01');
    expect(isoWeek(new Date('2024-12-30T12:00:00Z'), 'UTC')).toBe('2025-W01');
  });
});
