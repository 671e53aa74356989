import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope } from '../../src/contracts/index.js';
import { applyBackupEvent } from '../../src/control-plane/backup-events.js';
import { failOverdue } from '../../src/control-plane/deadline-sweep.js';
import { adminToken, call, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

/** Invariant 3's last line of defence, when no orchestrator ends a backup: the control plane gives up on it. */
describe('deadline sweep (PostgreSQL)', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
  });
  afterAll(async () => cp?.close());

  const backdate = (id: string, seconds: number) =>
    cp.plane.db.updateTable('backups').set({ requested_at: sql<Date>`now() - make_interval(secs => ${seconds})` }).where('id', '=', id).execute();

  it('fails a backup left in progress past its deadline with timeout, asks the orchestrators to stop it, and deletes files that arrive later', async () => {
    const overdue = await seedProject(cp.app, 'overdue');
    const fresh = await seedProject(cp.app, 'fresh');
    const late = (await call(cp.app, 'POST', `/v1/services/${overdue.serviceId}/backups`, { token: overdue.ownerToken })).body.id as string;
    const onTime = (await call(cp.app, 'POST', `/v1/services/${fresh.serviceId}/backups`, { token: fresh.ownerToken })).body.id as string;
    await backdate(late, 100 + 60 + 1);
    await backdate(onTime, 100 + 60 - 10);

    expect(await failOverdue(cp.plane.db, { deadlineSeconds: 100, graceSeconds: 60 })).toEqual([late]);
    expect(await failOverdue(cp.plane.db, { deadlineSeconds: 100, graceSeconds: 60 })).toEqual([]);

    const failed = await call(cp.app, 'GET', `/v1/backups/${late}`, { token: overdue.ownerToken });
    expect(failed.body.status).toBe('failed');
    expect(failed.body.failure.code).toBe('timeout');
    expect(failed.body.failure.message).toMatch(/within its deadline \(100 s\)/);
    expect((await call(cp.app, 'GET', `/v1/backups/${onTime}`, { token: fresh.ownerToken })).body.status).toBe('requested');
    const cancel = await cp.plane.db.selectFrom('outbox').select('message').where('type', '=', 'backup.cancel_requested').execute();
    expect(cancel.map((row) => (row.message as { payload: { backupId: string } }).payload.backupId)).toEqual([late]);
    const audit = await call(cp.app, 'GET', `/v1/audit?action=backup.failed&projectId=${overdue.projectId}`, { token: adminToken });
    expect(audit.body.entries.map((entry: { target: { id: string } }) => entry.target.id)).toEqual([late]);

    // The orchestrator finished after all: the backup stays failed and its files are deleted.
    const outcome = await applyBackupEvent(
      cp.plane.db,
      envelope('backup.succeeded', { correlationId: late, projectId: overdue.projectId }, {
        backupId: late,
        artifact: { key: 'k/backup.dump', manifestKey: 'k/manifest.json', sizeBytes: 1, sha256: 'f'.repeat(64) },
        serverVersion: '15',
        toolVersion: '15',
        startedAt: new Date().toISOString(),
        finishedAt: new Date().toISOString(),
      }),
    );
    expect(outcome).toMatch(/^ignored/);
    expect((await call(cp.app, 'GET', `/v1/backups/${late}`, { token: overdue.ownerToken })).body.status).toBe('failed');
    const deletions = await cp.plane.db.selectFrom('outbox').select('message').where('type', '=', 'artifact.delete_requested').execute();
    expect(deletions.map((row) => (row.message as { payload: unknown }).payload)).toEqual([{ backupId: late, serviceId: overdue.serviceId, reason: 'abandoned' }]);
  });
});
