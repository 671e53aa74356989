import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveChanges } from '../../src/control-plane/live-changes.js';
import { seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { platformKinds } from '../support/platform-db.js';

/** What a live view (`GET /v1/events`) sends: every change once, late commits and long backlogs included. */
describe.each(platformKinds)('live changes on %s', (kind) => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane(kind);
  });
  afterAll(async () => cp?.close());

  let serial = 0;
  /** A finished backup whose change time is `secondsAgo` before the database's now, as a late commit would leave it. */
  const backupChangedAgo = async (projectId: string, serviceId: string, secondsAgo: number) => {
    const id = `bkp_live${String(serial++).padStart(12, '0')}`;
    await cp.plane.db
      .insertInto('backups')
      .values({ id, project_id: projectId, service_id: serviceId, status: 'failed', trigger: 'manual', idempotency_key: null, requested_by: 'test' })
      .execute();
    await cp.plane.db.updateTable('backups').set({ updated_at: sql<Date>`now() - make_interval(secs => ${secondsAgo})` }).where('id', '=', id).execute();
    return id;
  };
  const databaseNow = async () =>
    (await sql<{ now: string }>`select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as now`.execute(cp.plane.db)).rows[0]!.now;
  const ids = (changes: Awaited<ReturnType<LiveChanges['next']>>) => changes.map((change) => (change.data as { id: string }).id);

  it('sends each change once, and a row again when it changes again', async () => {
    const { projectId, serviceId } = await seedProject(cp.app, 'live-once');
    const live = new LiveChanges(cp.plane.db, projectId, await databaseNow());
    const first = await backupChangedAgo(projectId, serviceId, -1);
    expect(ids(await live.next())).toEqual([first]);
    expect(await live.next()).toEqual([]);
    await cp.plane.db.updateTable('backups').set({ failure_code: 'job_lost', updated_at: sql<Date>`now() + interval '2 seconds'` }).where('id', '=', first).execute();
    const again = await live.next();
    expect(ids(again)).toEqual([first]);
    expect(again[0]).toMatchObject({ event: 'backup', data: { failure: { code: 'job_lost' } } });
    expect(await live.next()).toEqual([]);
  });

  it('sends a change that committed after a later-stamped one was sent', async () => {
    const { projectId, serviceId } = await seedProject(cp.app, 'live-late');
    const live = new LiveChanges(cp.plane.db, projectId, await databaseNow());
    const later = await backupChangedAgo(projectId, serviceId, -3);
    expect(ids(await live.next())).toEqual([later]);
    // Stamped before `later` (its transaction started first) but committed after it was read.
    const late = await backupChangedAgo(projectId, serviceId, -1);
    expect(ids(await live.next())).toEqual([late]);
    expect(await live.next()).toEqual([]);
  });

  it('reads a backlog longer than a page in order, leaving nothing out', async () => {
    const { projectId, serviceId } = await seedProject(cp.app, 'live-backlog');
    const start = await databaseNow();
    const written: string[] = [];
    for (let i = 0; i < 7; i++) {
      const id = await backupChangedAgo(projectId, serviceId, 0);
      await cp.plane.db.updateTable('backups').set({ updated_at: sql<Date>`${start}::timestamptz + make_interval(secs => ${1 + i * 0.01})` }).where('id', '=', id).execute();
      written.push(id);
    }
    const restore = await cp.plane.db
      .insertInto('restores')
      .values({ id: 'rst_live000000000001', project_id: projectId, service_id: serviceId, backup_id: written[0]!, status: 'failed', target: JSON.stringify({ kind: 'in_place' }), safety_backup_id: null, requested_by: 'test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    // Changed between the backups of the second page: a cursor that jumped to it would skip them.
    await cp.plane.db.updateTable('restores').set({ updated_at: sql<Date>`${start}::timestamptz + interval '1.045 seconds'` }).where('id', '=', restore.id).execute();
    const live = new LiveChanges(cp.plane.db, projectId, start, { pageSize: 3, lateCommitSeconds: 10 });
    const seen: string[] = [];
    for (let call = 0; call < 5; call++) seen.push(...ids(await live.next()));
    expect(seen.filter((id) => id.startsWith('bkp_'))).toEqual(written);
    expect(seen.filter((id) => id.startsWith('rst_'))).toEqual([restore.id]);
  });
});
