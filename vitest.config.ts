import { defineConfig } from 'vitest/config';

// Files that start a whole topology of processes (two APIs, two orchestrators, NATS, storage,
// agents) load two cores several times over; beside them, a PGlite test gets a sliver of CPU
// and its timeouts stop meaning anything. So they run last, one at a time. (Beside each other,
// the short chaos run once ended with no backup succeeded; that may also have been the harness
// leaving the kill switch engaged, fixed since, but alone they are not starved either way.)
const topologies = ['test/e2e/split-roles.test.ts', 'test/chaos/chaos.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        // Two cores: files that start PGlite or child processes are heavy, so run two at a time.
        test: { name: 'suite', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: topologies, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'topologies', include: topologies, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
