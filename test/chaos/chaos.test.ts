import { describe, expect, it } from 'vitest';
import { formatReport, runChaos } from './chaos.js';

/**
 * The short chaos run CI makes: a fixed seed, under a minute of faults against the split
 * topology, then every invariant checked. Longer runs: `npm run chaos` (RELIABILITY.md).
 */
describe('chaos (short run)', () => {
  it('keeps every invariant through process kills, NATS and PostgreSQL restarts, storage faults and bad pg_dumps', { timeout: 300_000 }, async () => {
    const report = await runChaos({ seed: 20261124, seconds: 40 });
    expect(Object.values(report.faults).reduce((sum, n) => sum + n, 0), formatReport(report)).toBeGreaterThan(3);
    // Every service backed up once the weather cleared (a failure there is also a violation).
    expect(report.recovery, formatReport(report)).toEqual({ succeeded: 6 });
    expect(report.violations, formatReport(report)).toEqual([]);
  });
});
