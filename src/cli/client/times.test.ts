import { describe, expect, it } from 'vitest';
import { drillVerdict, formatAge, formatTime } from './times.js';

describe('times as the CLI shows them', () => {
  it("shows a time to the minute in the schedule's timezone, with the zone", () => {
    expect(formatTime('2026-12-08T02:00:00.000Z')).toBe('2026-12-08 02:00 UTC');
    expect(formatTime('2026-12-08T02:00:00.000Z', 'Europe/Berlin')).toBe('2026-12-08 03:00 GMT+1');
    expect(formatTime('2026-07-08T01:00:00.000Z', 'Europe/Berlin')).toBe('2026-07-08 03:00 GMT+2');
    expect(formatTime('2026-12-08T23:30:00.000Z', 'Asia/Kolkata')).toBe('2026-12-09 05:00 GMT+5:30');
    expect(formatTime(null)).toBeNull();
  });

  it('says how long ago in its largest whole unit', () => {
    const now = new Date('2026-12-08T12:00:00Z');
    expect(formatAge('2026-12-08T11:59:15Z', now)).toBe('45s');
    expect(formatAge('2026-12-08T11:48:00Z', now)).toBe('12m');
    expect(formatAge('2026-12-08T07:00:00Z', now)).toBe('5h');
    expect(formatAge('2026-12-05T12:00:00Z', now)).toBe('3d');
  });

  it("says a drill's verdict in a word, its problems when asked", () => {
    expect(drillVerdict(null)).toBeNull();
    expect(drillVerdict({ status: 'pending' })).toBe('drill pending');
    expect(drillVerdict({ status: 'passed', details: { problems: [] } })).toBe('passed');
    expect(drillVerdict({ status: 'failed', details: { problems: ['public.orders: 3 rows, 5 recorded'] } })).toBe('failed');
    expect(drillVerdict({ status: 'failed', details: { problems: ['public.orders: 3 rows, 5 recorded'] } }, true)).toBe('failed: public.orders: 3 rows, 5 recorded');
  });
});
