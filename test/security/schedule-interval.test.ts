import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { apiClient, type LifeboatProcess, ownedProject, registerService, startLifeboat } from '../support/lifeboat-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/**
 * A schedule runs at most once an hour unless the operator says otherwise: a real `lifeboat
 * serve` on its defaults refuses six-field and sub-hour cron with the minimum named, and writes
 * nothing; an operator's lower minimum (LIFEBOAT_MIN_SCHEDULE_INTERVAL_SECONDS) lets them through.
 */
describe('minimum schedule interval', () => {
  let work: string;
  let platform: TestDatabase;
  let lifeboat: LifeboatProcess;
  let owner: ReturnType<typeof apiClient>;
  let serviceId: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lifeboat-schedules-'));
    platform = await createTestDatabase('schedules_platform');
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'data'), LIFEBOAT_DATABASE_URL: platform.url });
    const project = await ownedProject(lifeboat, 'schedules');
    owner = project.api;
    serviceId = await registerService(owner, project.projectId, { name: 'shop', host: '127.0.0.1', port: 5432, database: 'shop', user: 'app', password: 'pw' });
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await platform?.drop();
    await rm(work, { recursive: true, force: true });
  });

  it('refuses sub-hour and six-field cron on the defaults, naming the minimum, and keeps no schedule', async () => {
    const refusals: [string, RegExp][] = [
      ['*/5 * * * *', /^The schedule "[^"]+": runs every 5 minutes at the shortest; this Lifeboat runs a schedule at most once every 1 hour/],
      ['* * * * *', /^The schedule "[^"]+": runs every 1 minute at the shortest; .*once every 1 hour/],
      ['0,30 3 * * *', /^The schedule "[^"]+": runs every 30 minutes/],
      ['0 0 * * * *', /^The schedule "[^"]+": use five fields \(minute hour day-of-month month day-of-week\), not 6/],
      ['*/10 * * * * *', /not 6/],
    ];
    for (const [cron, message] of refusals) {
      const answer = await owner('PUT', `/v1/services/${serviceId}/schedule`, { cron, timezone: 'UTC' });
      expect(answer.status, cron).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
      expect(answer.body.error.message, cron).toMatch(message);
    }
    expect((await owner('GET', `/v1/services/${serviceId}/schedule`)).status).toBe(404);
  });

  it('accepts hourly and daily cron on the defaults', async () => {
    for (const cron of ['0 * * * *', '@hourly', '0 3 * * *']) {
      const answer = await owner('PUT', `/v1/services/${serviceId}/schedule`, { cron, timezone: 'Europe/Berlin' });
      expect(answer.status, cron).toBe(200);
      expect(answer.body.cron).toBe(cron);
    }
  });

  describe('with the operator’s minimum set to a minute', () => {
    let cp: TestControlPlane;
    beforeAll(async () => {
      cp = await startTestControlPlane('postgres', { minScheduleIntervalSeconds: 60 });
    });
    afterAll(async () => cp?.close());

    it('accepts a per-minute schedule and still refuses a seconds field', async () => {
      const { serviceId: id, ownerToken } = await seedProject(cp.app, 'per-minute');
      const perMinute = await call(cp.app, 'PUT', `/v1/services/${id}/schedule`, { token: ownerToken, body: { cron: '* * * * *' } });
      expect(perMinute.status).toBe(200);
      expect(perMinute.body.upcoming).toHaveLength(5);
      const seconds = await call(cp.app, 'PUT', `/v1/services/${id}/schedule`, { token: ownerToken, body: { cron: '*/30 * * * * *' } });
      expect(seconds.status).toBe(400);
      expect(seconds.body.error.message).toMatch(/not 6/);
    });
  });
});
