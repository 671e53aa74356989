/**
 * The reliability harness from the command line:
 *
 *   npm run chaos -- --seed 42 --seconds 600
 *
 * A failing run prints its seed; the same seed replays the same choices.
 */
import { parseArgs } from 'node:util';
import { formatReport, runChaos } from './chaos.js';

const { values } = parseArgs({ options: { seed: { type: 'string' }, seconds: { type: 'string', default: '120' }, runs: { type: 'string', default: '1' } } });
const firstSeed = values.seed ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
let failed = false;
for (let i = 0; i < Number(values.runs); i++) {
  const report = await runChaos({ seed: firstSeed + i, seconds: Number(values.seconds), log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${formatReport(report)}\n\n`);
  if (report.violations.length > 0) {
    failed = true;
    process.stdout.write(`replay: npm run chaos -- --seed ${report.seed} --seconds ${report.seconds}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
