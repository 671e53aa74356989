import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifeboatProcess, startLifeboat } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';

/**
 * Behind a proxy every request comes from the proxy's address: with LIFEBOAT_TRUST_PROXY naming
 * it, the failed-authentication limit counts the clients it forwards for, one by one, so one
 * client's guesses do not lock out the others.
 */
describe('the failed-authentication limit behind a trusted proxy', () => {
  let dataDir: string;
  let lifeboat: LifeboatProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-proxy-'));
    await seedPlatformDatabase(dataDir);
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_TRUST_PROXY: '127.0.0.1', LIFEBOAT_AUTH_FAILURES_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await lifeboat?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const asClient = (client: string, token: string) => fetch(`${lifeboat.url}/v1/capabilities`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': client } });

  it('limits the guessing client, not everyone behind the proxy', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await asClient('198.51.100.1', `lbp_guess-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect((await asClient('198.51.100.1', lifeboat.adminToken!)).status).toBe(429);
    expect((await asClient('198.51.100.2', lifeboat.adminToken!)).status).toBe(200);
  });
});
