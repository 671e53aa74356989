import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestPlatformDatabase, silentLogger, type TestPlatformDatabase } from '../../test/support/platform-db.js';
import { holdLeadership } from './leadership.js';

describe('leadership', () => {
  let platform: TestPlatformDatabase;
  beforeAll(async () => {
    platform = await openTestPlatformDatabase('postgres');
  });
  afterAll(async () => platform?.close());

  const until = async (check: () => boolean, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('gives one replica of several the lead, and hands it on when the leader stops', async () => {
    const replicas = [1, 2, 3].map(() => holdLeadership({ database: platform.database, url: platform.url, name: 'scheduler', logger: silentLogger, retryMs: 100 }));
    try {
      await until(() => replicas.some((replica) => replica.isLeader()));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(replicas.filter((replica) => replica.isLeader())).toHaveLength(1);
      const leader = replicas.find((replica) => replica.isLeader())!;
      await leader.stop();
      const others = replicas.filter((replica) => replica !== leader);
      await until(() => others.some((replica) => replica.isLeader()));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(others.filter((replica) => replica.isLeader())).toHaveLength(1);
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
    }
  });

  it('lets separate names lead independently', async () => {
    const a = holdLeadership({ database: platform.database, url: platform.url, name: 'a', logger: silentLogger, retryMs: 100 });
    const b = holdLeadership({ database: platform.database, url: platform.url, name: 'b', logger: silentLogger, retryMs: 100 });
    try {
      await until(() => a.isLeader() && b.isLeader());
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('always leads on PGlite, which has one process', async () => {
    const pglite = await openTestPlatformDatabase('pglite');
    try {
      const only = holdLeadership({ database: pglite.database, url: undefined, name: 'scheduler', logger: silentLogger });
      expect(only.isLeader()).toBe(true);
      await only.stop();
    } finally {
      await pglite.close();
    }
  });
});
