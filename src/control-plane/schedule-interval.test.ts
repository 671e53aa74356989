import { describe, expect, it } from 'vitest';
import { scheduleIntervalProblem, spokenDuration } from './schedule-interval.js';

const hour = 3600;

describe('the minimum interval between scheduled runs', () => {
  it('accepts hourly, daily, weekly and nickname schedules at a one-hour minimum', () => {
    for (const cron of ['0 * * * *', '17 */2 * * *', '0 3 * * *', '30 1,2,3 * * *', '0 0 * * 0', '0 0 1 * *', '@hourly', '@daily', '  0 3 * * *  ']) {
      expect(scheduleIntervalProblem(cron, hour), cron).toBeNull();
    }
  });

  it('refuses sub-hour schedules and names the shortest gap and the minimum', () => {
    expect(scheduleIntervalProblem('*/5 * * * *', hour)).toBe(
      "runs every 5 minutes at the shortest; this Lifeboat runs a schedule at most once every 1 hour (its operator's minimum)",
    );
    expect(scheduleIntervalProblem('* * * * *', hour)).toMatch(/^runs every 1 minute at the shortest; .* once every 1 hour/);
    expect(scheduleIntervalProblem('0,30 3 * * *', hour)).toMatch(/^runs every 30 minutes/);
    // Only one pair of runs is close: 23:59 and 00:00 of the next day.
    expect(scheduleIntervalProblem('59 23 * * *', hour)).toBeNull();
    expect(scheduleIntervalProblem('0,59 0 * * *', hour)).toMatch(/^runs every 59 minutes/);
    // Across midnight: 23:00 on the 31st, 00:00 on the 1st.
    expect(scheduleIntervalProblem('0 0,23 1,31 * *', 2 * hour)).toMatch(/^runs every 1 hour at the shortest/);
  });

  it('refuses six- and seven-field expressions (seconds, years) whatever their rate', () => {
    expect(scheduleIntervalProblem('0 0 * * * *', hour)).toBe('use five fields (minute hour day-of-month month day-of-week), not 6: a seconds or year field is not accepted');
    expect(scheduleIntervalProblem('* * * * * *', 60)).toMatch(/not 6/);
    expect(scheduleIntervalProblem('0 0 3 * * * 2030', hour)).toMatch(/not 7/);
  });

  it('follows the operator: per minute when the minimum is 60 seconds, daily when it is a day', () => {
    expect(scheduleIntervalProblem('* * * * *', 60)).toBeNull();
    expect(scheduleIntervalProblem('0 */12 * * *', 86_400)).toMatch(/^runs every 12 hours at the shortest; .* once every 1 day/);
    expect(scheduleIntervalProblem('0 3 * * *', 86_400)).toBeNull();
  });

  it('speaks durations in their largest whole unit', () => {
    expect([spokenDuration(60), spokenDuration(90), spokenDuration(3600), spokenDuration(5400), spokenDuration(7200), spokenDuration(86_400)]).toEqual([
      '1 minute',
      '90 seconds',
      '1 hour',
      '90 minutes',
      '2 hours',
      '1 day',
    ]);
  });
});
