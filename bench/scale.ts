/**
 * Scale: (a) services whose schedules all fall on the same minute, fired by two `lifeboat api`
 * replicas; (b) one retention sweep over a million backup records. Needs `npm run build` first
 * (part (a) runs the built CLI), PostgreSQL on 127.0.0.1:5432 and nats-server.
 *
 *   npx tsx bench/scale.ts [--services 10000] [--runs 5] [--failover-runs 1] [--only scheduler|retention]
 *
 * Results go to stdout as Markdown tables, progress to stderr.
 */
import { parseArgs } from 'node:util';
import { medianWithRange } from './figures.js';
import { measureRetentionSweep } from './scale/retention-sweep.js';
import { type BurstRun, measureSchedulerBurst } from './scale/scheduler-burst.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '5' },
    'failover-runs': { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const services = Number(values.services);
const runs = Number(values.runs);
const failoverRuns = Number(values['failover-runs']);
if (![services, runs, failoverRuns].every((value) => Number.isInteger(value) && value >= 0) || services < 4 || runs < 1) {
  throw new Error('--services (at least 4), --runs (at least 1) and --failover-runs take whole numbers');
}
if (values.only !== undefined && values.only !== 'scheduler' && values.only !== 'retention') throw new Error('--only takes scheduler or retention');

const lines: string[] = [];
if (values.only !== 'retention') {
  const burst = await measureSchedulerBurst({ services, runs, failoverRuns });
  const row = (label: string, measured: BurstRun[]) =>
    `| ${label} | ${medianWithRange(measured.map((run) => run.secondsToAllRequested), 1)} | ${medianWithRange(measured.map((run) => run.secondsToFirstRequest), 1)} | ` +
    `${medianWithRange(measured.map((run) => run.requestsPerSecond))} | ${medianWithRange(measured.map((run) => run.rawInsertsPerSecond))} | ` +
    `${medianWithRange(measured.map((run) => run.requestsPerSecond / run.rawInsertsPerSecond), 2)} |`;
  lines.push(
    `Scheduler: ${services} services due in the same minute, two \`lifeboat api\` replicas; median (min–max)`,
    '',
    '| variant | all requested after the minute (s) | first request after the minute (s) | scheduled requests/s | raw backup+outbox+audit transactions/s | ratio |',
    '|---|---|---|---|---|---|',
    row(`${runs} runs`, burst.runs),
  );
  if (burst.failovers.length > 0) {
    const killedAt = medianWithRange(burst.failovers.map((run) => run.leaderKilledAfterSeconds ?? 0), 1);
    lines.push(row(`${burst.failovers.length} runs, leader SIGKILLed after ${killedAt} s`, burst.failovers));
  }
  lines.push('', 'Every run: exactly one backup, schedule run, backup.requested command and audit entry per service for the slot.', '');
}
if (values.only !== 'scheduler') {
  const sweeps = await measureRetentionSweep({ services, runs });
  lines.push(
    `Retention: one sweep over ${services * 100} backup records (${services} services × 100), expiring one per service; median (min–max)`,
    '',
    '| sweep (s) | records/s | raw reads + one transaction per expiry (s) | sweep ÷ raw |',
    '|---|---|---|---|',
    `| ${medianWithRange(sweeps.map((run) => run.sweepSeconds), 1)} | ${medianWithRange(sweeps.map((run) => run.recordsPerSecond))} | ` +
      `${medianWithRange(sweeps.map((run) => run.rawSeconds), 1)} | ${medianWithRange(sweeps.map((run) => run.sweepSeconds / run.rawSeconds), 2)} |`,
    '',
    'Every run: exactly the 14-day-old backup of each service expired, with its artifact.delete_requested command and audit entry.',
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
