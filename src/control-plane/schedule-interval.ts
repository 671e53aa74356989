import { Cron } from 'croner';

/**
 * How often a schedule may fire: at most once per the operator's minimum interval
 * (LIFEBOAT_MIN_SCHEDULE_INTERVAL_SECONDS), so one project cannot fill the job slots and the
 * object store with a backup every minute. Pure, so the rule is tested on its own.
 *
 * The gap is measured between consecutive runs on the expression's own clock (UTC): a run set
 * is the same minutes of the same hours on every day it fires, so the first firing day shows
 * every gap within a day and the first two firing days in a row show the gap across midnight;
 * `sampledRuns` runs from a fixed start reach both for any expression that fires at least a few
 * times a year. A DST change in the schedule's own timezone can shorten one gap a year; that is
 * accepted rather than refusing `30 1,2,3 * * *`.
 */
const sampledRuns = 400;
/** A fixed start makes the verdict the same for the same expression, whatever the day; a leap year, so 29 February is in the first year. */
const sampleStart = new Date('2024-01-01T00:00:00Z');

export function scheduleIntervalProblem(cron: string, minIntervalSeconds: number): string | null {
  const trimmed = cron.trim();
  const fields = trimmed.split(/\s+/);
  // croner also reads a leading seconds field and a trailing year field; neither is part of the five-field cron users know.
  if (!trimmed.startsWith('@') && fields.length !== 5) {
    return `use five fields (minute hour day-of-month month day-of-week), not ${fields.length}: a seconds or year field is not accepted`;
  }
  const runs = new Cron(trimmed, { timezone: 'UTC', paused: true }).nextRuns(sampledRuns, sampleStart);
  let shortestMs = Infinity;
  for (let i = 1; i < runs.length; i++) shortestMs = Math.min(shortestMs, runs[i]!.getTime() - runs[i - 1]!.getTime());
  if (shortestMs < minIntervalSeconds * 1000) {
    return `runs every ${spokenDuration(shortestMs / 1000)} at the shortest; this Lifeboat runs a schedule at most once every ${spokenDuration(minIntervalSeconds)} (its operator's minimum)`;
  }
  return null;
}

/** `1 hour`, `5 minutes`, `90 seconds`: the largest whole unit. */
export function spokenDuration(seconds: number): string {
  for (const [unit, size] of [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return plural(seconds / size, unit);
  }
  return plural(seconds, 'second');
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}
