import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope } from '../../src/contracts/index.js';
import { applyBackupEvent } from '../../src/control-plane/backup-events.js';
import { findBackup } from '../../src/control-plane/backups.js';
import { applyBackupVerified, requestVerification } from '../../src/control-plane/verifications.js';
import { call, requestTestBackup, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

/** `GET /v1/backups/:id?waitSeconds=N` and the same on restores: a read that answers once the record has ended. */
describe('reads that wait for a backup to end (PostgreSQL)', () => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
  });
  afterAll(async () => cp?.close());

  const newBackup = (name: string) => requestTestBackup(cp.app, name);

  const succeeded = (backupId: string, fields: { correlationId: string; projectId: string }) =>
    envelope('backup.succeeded', fields, {
      backupId,
      artifact: { key: 'x/backup.dump', manifestKey: 'x/manifest.json', sizeBytes: 42, sha256: 'c'.repeat(64) },
      serverVersion: '15.20',
      toolVersion: '15.20',
      startedAt: '2026-12-01T10:00:00.000Z',
      finishedAt: '2026-12-01T10:01:00.000Z',
    });

  it('answers with the backup once the event that ends it is applied', async () => {
    const { backupId, fields, ownerToken } = await newBackup('waiting-a');
    const waiting = call(cp.app, 'GET', `/v1/backups/${backupId}?waitSeconds=30`, { token: ownerToken });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await applyBackupEvent(cp.plane.db, succeeded(backupId, fields));
    cp.plane.changes.changed(backupId);
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: backupId, status: 'succeeded', sizeBytes: 42 });
    // Ended: a waiting read answers at once.
    expect((await call(cp.app, 'GET', `/v1/backups/${backupId}?waitSeconds=60`, { token: ownerToken })).body.status).toBe('succeeded');
  });

  it('finds an end it was not told of, by reading again', async () => {
    const { backupId, fields, ownerToken } = await newBackup('waiting-b');
    const waiting = call(cp.app, 'GET', `/v1/backups/${backupId}?waitSeconds=30`, { token: ownerToken });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await applyBackupEvent(cp.plane.db, succeeded(backupId, fields));
    expect((await waiting).body.status).toBe('succeeded');
  });

  it("with waitFor=verification, waits for the verdict of the backup's restore drill", async () => {
    const { backupId, fields, ownerToken } = await newBackup('waiting-v');
    await applyBackupEvent(cp.plane.db, succeeded(backupId, fields));
    // No drill asked for: nothing to wait for (were it to wait, the test would time out first).
    const none = await call(cp.app, 'GET', `/v1/backups/${backupId}?waitSeconds=60&waitFor=verification`, { token: ownerToken });
    expect(none.body).toMatchObject({ status: 'succeeded', verification: null });

    const asked = await cp.plane.db.transaction().execute(async (trx) => requestVerification(trx, await findBackup(trx, backupId), 'test', 600));
    const { verificationId } = asked.verification as { verificationId: string };
    let answered = false;
    const waiting = call(cp.app, 'GET', `/v1/backups/${backupId}?waitSeconds=30&waitFor=verification`, { token: ownerToken }).finally(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    const verdict = { status: 'passed' as const, checkedAt: '2026-12-01T10:05:00.000Z', details: { tables: [], problems: [] } };
    await applyBackupVerified(cp.plane.db, envelope('backup.verified', fields, { verificationId, backupId, verification: verdict }));
    cp.plane.changes.changed(backupId);
    expect((await waiting).body.verification).toMatchObject({ status: 'passed' });
  });

  it('answers with the state it has when the wait is over, and at once without one', async () => {
    const { backupId, ownerToken } = await newBackup('waiting-c');
    expect((await call(cp.app, 'GET', `/v1/backups/${backupId}`, { token: ownerToken })).body.status).toBe('requested');
    const answer = await call(cp.app, 'GET', `/v1/backups/${backupId}?waitSeconds=1`, { token: ownerToken });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('requested');
  });

  it("answers another project's token with not_found, without waiting", async () => {
    const { backupId } = await newBackup('waiting-d');
    const other = await seedProject(cp.app, 'waiting-other');
    // Were it to wait, the test would run into its own timeout first.
    const answer = await call(cp.app, 'GET', `/v1/backups/${backupId}?waitSeconds=60`, { token: other.ownerToken });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('not_found');
    const restore = await call(cp.app, 'GET', '/v1/restores/rst_0000000000000000?waitSeconds=60', { token: other.ownerToken });
    expect(restore.status).toBe(404);
  });

  let badQueries = 0;
  it.each(['waitSeconds=61', 'waitSeconds=-1', 'waitSeconds=1.5', 'waitSeconds=soon', 'wait=5', 'waitSeconds=5&waitFor=drill'])('refuses ?%s as invalid_request', async (query) => {
    const { backupId, ownerToken } = await newBackup(`waiting-bad-${++badQueries}`);
    for (const path of [`/v1/backups/${backupId}?${query}`, `/v1/restores/rst_0000000000000000?${query}`]) {
      const answer = await call(cp.app, 'GET', path, { token: ownerToken });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
    }
  });
});
