import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope } from '../../src/contracts/index.js';
import { applyBackupEvent } from '../../src/control-plane/backup-events.js';
import { call, requestTestBackup, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

const artifact = { key: 'x/backup.dump', manifestKey: 'x/manifest.json', sizeBytes: 42, sha256: 'c'.repeat(64) };

describe('applying orchestrator events to backups (PostgreSQL)', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
  });
  afterAll(async () => cp?.close());

  const newBackup = (name: string) => requestTestBackup(cp.app, name);

  const read = (id: string) => cp.plane.db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('moves a backup forward with started and succeeded, recording the artifact', async () => {
    const { backupId, fields } = await newBackup('events-a');
    const started = envelope('backup.started', fields, { backupId, jobId: 'job_1', attempt: 1, startedAt: '2026-11-24T10:00:00.000Z' });
    expect(await applyBackupEvent(cp.plane.db, started)).toBe('applied: requested -> running');
    const succeeded = envelope('backup.succeeded', fields, {
      backupId,
      artifact,
      serverVersion: '15.20',
      toolVersion: '15.20',
      startedAt: '2026-11-24T10:00:00.000Z',
      finishedAt: '2026-11-24T10:01:00.000Z',
    });
    expect(await applyBackupEvent(cp.plane.db, succeeded)).toBe('applied: running -> succeeded');
    expect(await read(backupId)).toMatchObject({ status: 'succeeded', size_bytes: 42, sha256: artifact.sha256, artifact_key: artifact.key, finished_at: new Date('2026-11-24T10:01:00.000Z') });
  });

  it('changes nothing on a duplicate terminal event, and ignores late or contradicting ones', async () => {
    const { backupId, fields } = await newBackup('events-b');
    const failed = envelope('backup.failed', fields, {
      backupId,
      failure: { code: 'auth_failed' as const, message: 'password authentication failed for user "app"' },
      startedAt: null,
      finishedAt: '2026-11-24T10:01:00.000Z',
    });
    expect(await applyBackupEvent(cp.plane.db, failed)).toBe('applied: requested -> failed');
    const after = await read(backupId);
    expect(await applyBackupEvent(cp.plane.db, failed)).toBe('duplicate');
    const lateStart = envelope('backup.started', fields, { backupId, jobId: 'job_1', attempt: 1, startedAt: '2026-11-24T10:00:00.000Z' });
    expect(await applyBackupEvent(cp.plane.db, lateStart)).toBe('ignored: already failed');
    const contradicting = envelope('backup.succeeded', fields, { backupId, artifact, serverVersion: '15', toolVersion: '15', startedAt: '2026-11-24T10:00:00.000Z', finishedAt: '2026-11-24T10:02:00.000Z' });
    expect(await applyBackupEvent(cp.plane.db, contradicting)).toBe('ignored: already failed');
    expect(await read(backupId)).toEqual(after);
    const inbox = await cp.plane.db.selectFrom('inbox').select(['message_id', 'outcome']).where('message_id', 'in', [failed.id, lateStart.id, contradicting.id]).execute();
    expect(inbox).toHaveLength(3);
  });

  it('shows a failure in the API as a code and a message', async () => {
    const { backupId, fields, ownerToken } = await newBackup('events-c');
    await applyBackupEvent(
      cp.plane.db,
      envelope('backup.failed', fields, { backupId, failure: { code: 'connection_refused' as const, message: 'nothing is listening at db:5432' }, startedAt: null, finishedAt: new Date().toISOString() }),
    );
    const view = await call(cp.app, 'GET', `/v1/backups/${backupId}`, { token: ownerToken });
    expect(view.body.status).toBe('failed');
    expect(view.body.failure).toEqual({ code: 'connection_refused', message: 'nothing is listening at db:5432' });
  });

  it('applies concurrent duplicates of one event once', async () => {
    const { backupId, fields } = await newBackup('events-d');
    const started = envelope('backup.started', fields, { backupId, jobId: 'job_1', attempt: 1, startedAt: '2026-11-24T10:00:00.000Z' });
    const outcomes = await Promise.all([1, 2, 3].map(() => applyBackupEvent(cp.plane.db, started)));
    expect(outcomes.sort()).toEqual(['applied: requested -> running', 'duplicate', 'duplicate']);
  });
});
