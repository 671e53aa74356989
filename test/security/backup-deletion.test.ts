import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, call, seedProject, startTestControlPlane, succeededTestBackup, type TestControlPlane } from '../support/control-plane.js';

/**
 * Deleting a backup by hand destroys a recovery point for good, so it needs the owner role: a
 * member token (a CI job's, a script's) can back up, cancel and download, but not delete.
 */
describe('deleting a backup by hand', () => {
  let cp: TestControlPlane;
  let projectId: string;
  let serviceId: string;
  let ownerToken: string;

  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
    ({ projectId, serviceId, ownerToken } = await seedProject(cp.app, 'deletion'));
  });
  afterAll(async () => cp?.close());

  const succeededBackup = () => succeededTestBackup(cp, { projectId, ownerToken, serviceId });
  const tokenOf = async (role: 'viewer' | 'member') => (await call(cp.app, 'POST', `/v1/projects/${projectId}/tokens`, { token: ownerToken, body: { role } })).body.token as string;

  it('refuses a member and a viewer with 403 and leaves the backup as it was', async () => {
    const backupId = await succeededBackup();
    for (const role of ['member', 'viewer'] as const) {
      const answer = await call(cp.app, 'DELETE', `/v1/backups/${backupId}`, { token: await tokenOf(role) });
      expect(answer.status, role).toBe(403);
      expect(answer.body.error).toEqual({ code: 'forbidden', message: "this token's role cannot do this; it needs the owner role" });
    }
    expect((await call(cp.app, 'GET', `/v1/backups/${backupId}`, { token: ownerToken })).body.status).toBe('succeeded');
    const audit = await call(cp.app, 'GET', `/v1/audit?targetId=${backupId}&action=backup.deleted`, { token: ownerToken });
    expect(audit.body.entries).toEqual([]);
  });

  it('lets the owner and the admin delete', async () => {
    for (const token of [ownerToken, adminToken]) {
      const backupId = await succeededBackup();
      const answer = await call(cp.app, 'DELETE', `/v1/backups/${backupId}`, { token });
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('deleted');
    }
  });

  it('still lets a member do what a member may: back up and ask for a download link', async () => {
    const memberToken = await tokenOf('member');
    const backupId = await succeededBackup();
    expect((await call(cp.app, 'POST', `/v1/backups/${backupId}/download-url`, { token: memberToken })).status).toBe(200);
    expect((await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: memberToken })).status).toBe(202);
  });
});
