import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKillSwitch } from '../../src/control-plane/availability.js';
import { availabilityOf } from '../../src/control-plane/context.js';
import { putSchedule } from '../../src/control-plane/schedules.js';
import { Scheduler } from '../../src/control-plane/scheduler.js';
import { findService } from '../../src/control-plane/services.js';
import { controlSchema, type ControlTables } from '../../src/control-plane/tables.js';
import { openPlatformDatabase, schemaView } from '../../src/db/platform-database.js';
import { call, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { silentLogger } from '../support/platform-db.js';

/** The scheduler against a real PostgreSQL, with a clock the test moves. */
describe('scheduler', () => {
  let cp: TestControlPlane;
  let clock: Date;
  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
  });
  afterAll(async () => cp?.close());

  const scheduler = (db = cp.plane.db) =>
    new Scheduler({ db, logger: silentLogger, availability: () => availabilityOf(cp.plane), isLeader: () => true, jitterWindowSeconds: 0, deadlineSeconds: 600, now: () => clock });

  async function scheduledService(name: string, cron: string, timezone: string, startAt: string) {
    clock = new Date(startAt);
    const { serviceId, ownerToken } = await seedProject(cp.app, name);
    await putSchedule(cp.plane.db, await findService(cp.plane.db, serviceId), { cron, timezone, retention: {} }, { jitterWindowSeconds: 0, minIntervalSeconds: 3600 }, clock);
    return { serviceId, ownerToken };
  }

  /** Lets the backups a slot requested finish, so the next slot can start one. */
  const finishAll = (serviceId: string) => cp.plane.db.updateTable('backups').set({ status: 'succeeded', finished_at: clock }).where('service_id', '=', serviceId).where('status', '=', 'requested').execute();

  async function fireAt(serviceId: string, at: string) {
    clock = new Date(at);
    const outcomes = (await scheduler().fireDue()).filter((outcome) => outcome.serviceId === serviceId);
    await finishAll(serviceId);
    return outcomes;
  }
  const runsOf = (serviceId: string) => cp.plane.db.selectFrom('schedule_runs').selectAll().where('service_id', '=', serviceId).orderBy('slot_at').execute();

  it('fires a Europe/Berlin schedule once per local day across both DST changes', async () => {
    const { serviceId } = await scheduledService('dst', '30 2 * * *', 'Europe/Berlin', '2026-03-27T12:00:00Z');
    const fired: string[] = [];
    for (const at of ['2026-03-28T01:30:01Z', '2026-03-29T00:59:00Z', '2026-03-29T01:00:01Z', '2026-03-30T00:30:01Z']) {
      fired.push(...(await fireAt(serviceId, at)).map((outcome) => outcome.slot.toISOString()));
    }
    expect(fired).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);

    // Autumn: 02:30 happens twice on 25 October; the backup runs once.
    await putSchedule(cp.plane.db, await findService(cp.plane.db, serviceId), { cron: '30 2 * * *', timezone: 'Europe/Berlin', retention: {} }, { jitterWindowSeconds: 0, minIntervalSeconds: 3600 }, new Date('2026-10-24T12:00:00Z'));
    const autumn: string[] = [];
    for (const at of ['2026-10-25T00:30:01Z', '2026-10-25T01:30:01Z', '2026-10-26T01:30:01Z']) {
      autumn.push(...(await fireAt(serviceId, at)).map((outcome) => outcome.slot.toISOString()));
    }
    expect(autumn).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    const backups = await cp.plane.db.selectFrom('backups').select(['trigger', 'requested_by']).where('service_id', '=', serviceId).execute();
    expect(backups).toHaveLength(5);
    expect(backups.every((backup) => backup.trigger === 'scheduled' && backup.requested_by === 'scheduler')).toBe(true);
  });

  it('catches up after downtime with one run, not one per missed slot', async () => {
    const { serviceId } = await scheduledService('catch-up', '0 * * * *', 'UTC', '2026-06-01T09:30:00Z');
    const outcomes = await fireAt(serviceId, '2026-06-01T15:10:00Z');
    expect(outcomes.map((outcome) => outcome.slot.toISOString())).toEqual(['2026-06-01T10:00:00.000Z']);
    const schedule = await cp.plane.db.selectFrom('schedules').select('next_run_at').where('service_id', '=', serviceId).executeTakeFirstOrThrow();
    expect(schedule.next_run_at?.toISOString()).toBe('2026-06-01T16:00:00.000Z');
    expect(await fireAt(serviceId, '2026-06-01T15:59:00Z')).toEqual([]);
  });

  it('records a slot that meets a backup in progress as skipped, with the reason', async () => {
    const { serviceId, ownerToken } = await scheduledService('busy', '0 * * * *', 'UTC', '2026-06-01T09:30:00Z');
    const manual = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
    clock = new Date('2026-06-01T10:00:05Z');
    const [outcome] = (await scheduler().fireDue()).filter((candidate) => candidate.serviceId === serviceId);
    expect(outcome).toEqual({ serviceId, slot: new Date('2026-06-01T10:00:00Z'), outcome: 'skipped', reason: `backup ${manual.body.id} was still in progress` });
    expect((await runsOf(serviceId)).map((run) => [run.outcome, run.reason])).toEqual([['skipped', `backup ${manual.body.id} was still in progress`]]);
  });

  it('skips with the kill switch engaged, and resumes without a burst when it is released', async () => {
    const { serviceId } = await scheduledService('kill-switch', '0 * * * *', 'UTC', '2026-06-01T09:30:00Z');
    await writeKillSwitch(cp.plane.db, { engaged: true, reason: 'storage migration', actor: 'admin' });
    try {
      for (const at of ['2026-06-01T10:00:01Z', '2026-06-01T11:00:01Z', '2026-06-01T12:00:01Z']) await fireAt(serviceId, at);
    } finally {
      await writeKillSwitch(cp.plane.db, { engaged: false, reason: null, actor: 'admin' });
    }
    const skipped = await runsOf(serviceId);
    expect(skipped.map((run) => run.reason)).toEqual(Array(3).fill('the kill switch is engaged: storage migration'));
    const resumed = await fireAt(serviceId, '2026-06-01T13:00:01Z');
    expect(resumed.map((outcome) => outcome.outcome)).toEqual(['requested']);
    expect(await cp.plane.db.selectFrom('backups').select('id').where('service_id', '=', serviceId).execute()).toHaveLength(1);
  });

  it('fires each slot once with two schedulers racing on separate connections', async () => {
    const services: string[] = [];
    for (let i = 0; i < 20; i++) services.push((await scheduledService(`herd-${i}`, '0 0 * * *', 'UTC', '2026-06-01T12:00:00Z')).serviceId);
    const other = await openPlatformDatabase({ url: cp.platform.url, dataDir: '/nonexistent', logger: silentLogger });
    try {
      clock = new Date('2026-06-02T00:00:30Z');
      const [a, b] = await Promise.all([scheduler().fireDue(), scheduler(schemaView<ControlTables>(other, controlSchema)).fireDue()]);
      const mine = [...a, ...b].filter((outcome) => services.includes(outcome.serviceId));
      expect(mine).toHaveLength(20);
      expect(new Set(mine.map((outcome) => outcome.serviceId)).size).toBe(20);
      const backups = await cp.plane.db.selectFrom('backups').select('service_id').where('service_id', 'in', services).execute();
      expect(backups).toHaveLength(20);
    } finally {
      await other.close();
    }
  });
});
