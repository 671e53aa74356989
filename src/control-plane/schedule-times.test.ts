import { describe, expect, it } from 'vitest';
import { checkSchedule, jitterSeconds, nextFireAfter, upcomingFires } from './schedule-times.js';

const iso = (dates: Date[]) => dates.map((date) => date.toISOString());

describe('schedule times', () => {
  it('fires a daily schedule at local time on both sides of a DST change', () => {
    // Europe/Berlin moves to summer time at 02:00 on 29 March 2026: 02:30 does not exist that day.
    expect(iso(upcomingFires('30 2 * * *', 'Europe/Berlin', new Date('2026-03-27T12:00:00Z'), 0, 4))).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    // And back on 25 October: 02:30 happens twice; the backup runs once.
    expect(iso(upcomingFires('30 2 * * *', 'Europe/Berlin', new Date('2026-10-23T12:00:00Z'), 0, 3))).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('fires an hourly schedule once per real hour through the fall-back', () => {
    expect(iso(upcomingFires('0 * * * *', 'America/New_York', new Date('2026-11-01T04:30:00Z'), 0, 3))).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ]);
  });

  it('does not replay missed slots after downtime', () => {
    // Down for three days: the next fire is the next slot, not the three missed ones.
    expect(nextFireAfter('0 3 * * *', 'UTC', new Date('2026-06-04T10:00:00Z'), 0)?.toISOString()).toBe('2026-06-05T03:00:00.000Z');
  });

  it('spreads services over the jitter window with a fixed offset each', () => {
    const offsets = Array.from({ length: 200 }, (_, i) => jitterSeconds(`svc_${i}`, 600));
    expect(offsets.every((offset) => offset >= 0 && offset < 600)).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThan(150);
    expect(jitterSeconds('svc_a', 600)).toBe(jitterSeconds('svc_a', 600));
    expect(jitterSeconds('svc_a', 0)).toBe(0);
    const offset = jitterSeconds('svc_a', 600);
    expect(nextFireAfter('0 0 * * *', 'UTC', new Date('2026-06-04T10:00:00Z'), offset)?.toISOString()).toBe(new Date(Date.parse('2026-06-05T00:00:00Z') + offset * 1000).toISOString());
  });

  it('keeps one fire per slot even when the offset is longer than the interval', () => {
    const fires = upcomingFires('* * * * *', 'UTC', new Date('2026-06-04T10:00:30Z'), 150, 3);
    expect(iso(fires)).toEqual(['2026-06-04T10:01:30.000Z', '2026-06-04T10:02:30.000Z', '2026-06-04T10:03:30.000Z']);
  });

  it('explains a bad cron expression or timezone', () => {
    expect(checkSchedule('0 3 * * *', 'Europe/Berlin', 3600)).toBeNull();
    expect(checkSchedule('61 * * * *', 'UTC', 3600)).toEqual({ field: 'cron', message: 'not a cron expression: Invalid value for minute: 61' });
    expect(checkSchedule('0 3 * * *', 'Mars/Olympus', 3600)).toEqual({ field: 'timezone', message: '"Mars/Olympus" is not an IANA timezone such as Europe/Berlin' });
    expect(checkSchedule('*/5 * * * *', 'UTC', 3600)).toMatchObject({ field: 'cron', message: expect.stringMatching(/^runs every 5 minutes/) });
  });
});
