/**
 * The reliability harness from the command line:
 *
 *   npm run chaos -- --seed 42 --seconds 600 --runs 3 [--logs chaos.log]
 *
 * Runs seeds 42, 43, 44 one after the other, prints each run's report and then one table for
 * all. A failing run prints the command that replays it; `--logs` keeps every process's output.
 */
import { parseArgs } from 'node:util';
import { type ChaosReport, formatReport, formatSummary, runChaos } from './chaos.js';

const { values } = parseArgs({ options: { seed: { type: 'string' }, seconds: { type: 'string', default: '120' }, runs: { type: 'string', default: '1' }, logs: { type: 'string' } } });
const firstSeed = values.seed ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const reports: ChaosReport[] = [];
for (let i = 0; i < Number(values.runs); i++) {
  const report = await runChaos({ seed: firstSeed + i, seconds: Number(values.seconds), log: (line) => process.stderr.write(`${line}\n`), logFile: values.logs && `${values.logs}${Number(values.runs) > 1 ? `.${firstSeed + i}` : ''}` });
  reports.push(report);
  process.stdout.write(`${formatReport(report)}\n\n`);
  if (report.violations.length > 0) process.stdout.write(`replay: npm run chaos -- --seed ${report.seed} --seconds ${report.seconds}\n\n`);
}
process.stdout.write(`${formatSummary(reports)}\n`);
process.exitCode = reports.some((report) => report.violations.length > 0) ? 1 : 0;
