import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope } from '../../src/contracts/index.js';
import { applyBackupEvent } from '../../src/control-plane/backup-events.js';
import { RetentionSweeper } from '../../src/control-plane/retention-sweep.js';
import { adminToken, call, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { silentLogger } from '../support/platform-db.js';

const dayMs = 24 * 3600 * 1000;

/** Retention applied to real records: preview, expiry through the outbox, audit. */
describe('retention sweep (PostgreSQL)', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
  });
  afterAll(async () => cp?.close());

  async function succeededBackup(serviceId: string, token: string, projectId: string, finishedAt: Date): Promise<string> {
    const created = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token });
    await applyBackupEvent(
      cp.plane.db,
      envelope('backup.succeeded', { correlationId: created.body.id, projectId }, {
        backupId: created.body.id,
        artifact: { key: 'k/backup.dump', manifestKey: 'k/manifest.json', sizeBytes: 1, sha256: 'd'.repeat(64) },
        serverVersion: '15',
        toolVersion: '15',
        startedAt: finishedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
      }),
    );
    return created.body.id;
  }

  it('previews, then expires what the policy lets go, asking the orchestrator to delete the files', async () => {
    const { serviceId, ownerToken, projectId } = await seedProject(cp.app, 'retention');
    const now = Date.now();
    const ids = [];
    for (const age of [10, 5, 1]) ids.push(await succeededBackup(serviceId, ownerToken, projectId, new Date(now - age * dayMs)));
    const [oldest, middle, newest] = ids as [string, string, string];

    const put = await call(cp.app, 'PUT', `/v1/services/${serviceId}/schedule`, {
      token: ownerToken,
      body: { cron: '0 3 * * *', timezone: 'Europe/Berlin', retention: { keepLast: 2, manualMaxAgeDays: 30 } },
    });
    expect(put.status).toBe(200);
    expect(put.body.upcoming).toHaveLength(5);

    // Manual backups count only against their own age limit: all three are within 30 days.
    const kept = await call(cp.app, 'GET', `/v1/services/${serviceId}/retention/preview`, { token: ownerToken });
    expect(kept.body.expire).toEqual([]);
    expect((await call(cp.app, 'GET', `/v1/backups/${oldest}`, { token: ownerToken })).body.expiresAt).toBe(new Date(now - 10 * dayMs + 30 * dayMs).toISOString());

    await call(cp.app, 'PUT', `/v1/services/${serviceId}/schedule`, { token: ownerToken, body: { cron: '0 3 * * *', timezone: 'Europe/Berlin', retention: { manualMaxAgeDays: 3 } } });
    const preview = await call(cp.app, 'GET', `/v1/services/${serviceId}/retention/preview`, { token: ownerToken });
    expect(preview.body.expire).toEqual([
      { backupId: middle, reason: 'older than 3 days', expiresAt: new Date(now - 5 * dayMs + 3 * dayMs).toISOString() },
      { backupId: oldest, reason: 'older than 3 days', expiresAt: new Date(now - 10 * dayMs + 3 * dayMs).toISOString() },
    ]);
    // The newest is never expired, so no date is given for it.
    expect(preview.body.keep).toEqual([{ backupId: newest, reasons: ['manual', 'newest'], expiresAt: null }]);
    // The backup view says the same: due now, since its age limit passed; the newest kept.
    for (const entry of preview.body.expire) {
      const view = (await call(cp.app, 'GET', `/v1/backups/${entry.backupId}`, { token: ownerToken })).body;
      expect({ expiresAt: view.expiresAt, expiring: view.expiring }).toEqual({ expiresAt: entry.expiresAt, expiring: true });
    }
    expect((await call(cp.app, 'GET', `/v1/backups/${newest}`, { token: ownerToken })).body).toMatchObject({ expiresAt: null, expiring: false });

    const sweeper = new RetentionSweeper({ db: cp.plane.db, logger: silentLogger, isLeader: () => true });
    expect(await sweeper.sweep()).toBe(2);
    expect(await sweeper.sweep()).toBe(0);
    for (const id of [oldest, middle]) expect((await call(cp.app, 'GET', `/v1/backups/${id}`, { token: ownerToken })).body.status).toBe('expired');
    expect((await call(cp.app, 'GET', `/v1/backups/${newest}`, { token: ownerToken })).body.status).toBe('succeeded');
    const commands = await cp.plane.db.selectFrom('outbox').select('message').where('type', '=', 'artifact.delete_requested').execute();
    expect(commands.map((row) => (row.message as { payload: { backupId: string; reason: string } }).payload).sort((a, b) => a.backupId.localeCompare(b.backupId))).toEqual(
      [oldest, middle].sort().map((backupId) => ({ backupId, serviceId, reason: 'expired' })),
    );
    const audit = await call(cp.app, 'GET', `/v1/audit?action=backup.expired&projectId=${projectId}`, { token: adminToken });
    expect(audit.body.entries).toHaveLength(2);
    expect(audit.body.entries[0].details).toEqual({ reason: 'older than 3 days' });
  });

  it('dates a backup as the preview does, from the success that makes it no longer the newest', async () => {
    const { serviceId, ownerToken, projectId } = await seedProject(cp.app, 'retention-dates');
    const put = await call(cp.app, 'PUT', `/v1/services/${serviceId}/schedule`, { token: ownerToken, body: { cron: '0 3 * * *', retention: { manualMaxAgeDays: 30 } } });
    expect(put.status).toBe(200);
    const firstFinished = new Date(Date.now() - 2 * dayMs);
    const first = await succeededBackup(serviceId, ownerToken, projectId, firstFinished);
    // The newest is never expired: no date.
    expect((await call(cp.app, 'GET', `/v1/backups/${first}`, { token: ownerToken })).body).toMatchObject({ expiresAt: null, expiring: false });
    // A newer success makes it one that its age limit expires: it gets that date then, not at the next policy change.
    await succeededBackup(serviceId, ownerToken, projectId, new Date(Date.now() - dayMs));
    expect((await call(cp.app, 'GET', `/v1/backups/${first}`, { token: ownerToken })).body).toMatchObject({ expiresAt: new Date(firstFinished.getTime() + 30 * dayMs).toISOString(), expiring: false });
    await call(cp.app, 'PUT', `/v1/services/${serviceId}/schedule`, { token: ownerToken, body: { cron: '0 3 * * *', retention: { manualMaxAgeDays: 1 } } });
    const preview = (await call(cp.app, 'GET', `/v1/services/${serviceId}/retention/preview`, { token: ownerToken })).body;
    expect(preview.expire.map((entry: { backupId: string }) => entry.backupId)).toEqual([first]);
    expect((await call(cp.app, 'GET', `/v1/backups/${first}`, { token: ownerToken })).body).toMatchObject({ expiresAt: preview.expire[0].expiresAt, expiring: true });
    const listed = (await call(cp.app, 'GET', `/v1/services/${serviceId}/backups`, { token: ownerToken })).body.backups;
    expect(listed.map((backup: { expiring: boolean }) => backup.expiring)).toEqual([false, true]);
  });

  it('sweeps page by page, including when the last page comes out empty', async () => {
    const sweeper = (servicesPerPage: number) => new RetentionSweeper({ db: cp.plane.db, logger: silentLogger, isLeader: () => true, servicesPerPage });
    // Every earlier test's backups are already swept: nothing to do, whatever the page size.
    await sweeper(500).sweep();
    const seeded = [];
    for (const name of ['paged-a', 'paged-b']) {
      const { serviceId, ownerToken, projectId } = await seedProject(cp.app, name);
      const old = await succeededBackup(serviceId, ownerToken, projectId, new Date(Date.now() - 10 * dayMs));
      // The newest backup is always kept: this one lets the older go.
      await succeededBackup(serviceId, ownerToken, projectId, new Date(Date.now() - 9 * dayMs));
      const put = await call(cp.app, 'PUT', `/v1/services/${serviceId}/schedule`, { token: ownerToken, body: { cron: '0 3 * * *', retention: { manualMaxAgeDays: 3 } } });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      seeded.push({ old, ownerToken });
    }
    const pages = await cp.plane.db.selectFrom('schedules').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    // One service per page: the sweep reads every page, then an empty one, and expires both.
    expect(await sweeper(1).sweep()).toBe(2);
    expect(Number(pages.n)).toBeGreaterThanOrEqual(2);
    for (const { old, ownerToken } of seeded) expect((await call(cp.app, 'GET', `/v1/backups/${old}`, { token: ownerToken })).body.status).toBe('expired');
    expect(await sweeper(1).sweep()).toBe(0);
  });

  it('refuses a bad cron expression or timezone with the field named', async () => {
    const { serviceId, ownerToken } = await seedProject(cp.app, 'retention-bad');
    const bad = await call(cp.app, 'PUT', `/v1/services/${serviceId}/schedule`, { token: ownerToken, body: { cron: 'every day', timezone: 'UTC' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^The schedule "every day": not a cron expression/);
    const check = await call(cp.app, 'POST', `/v1/services/${serviceId}/schedule/check`, { token: ownerToken, body: { cron: '0 0 3 * * *', timezone: 'UTC' } });
    expect(check.body).toEqual({ problem: { field: 'cron', message: expect.stringMatching(/^The schedule "0 0 3 \* \* \*": use five fields/) }, upcoming: [] });
    const good = await call(cp.app, 'POST', `/v1/services/${serviceId}/schedule/check`, { token: ownerToken, body: { cron: '0 3 * * *', timezone: 'Europe/Berlin' } });
    expect(good.body.problem).toBeNull();
    expect(good.body.upcoming).toHaveLength(5);
    const zone = await call(cp.app, 'PUT', `/v1/services/${serviceId}/schedule`, { token: ownerToken, body: { cron: '0 3 * * *', timezone: 'Moon/Base' } });
    expect(zone.body.error.message).toBe('The timezone "Moon/Base" is not an IANA timezone such as Europe/Berlin');
    expect((await call(cp.app, 'GET', `/v1/services/${serviceId}/schedule`, { token: ownerToken })).status).toBe(404);
  });
});
