import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope } from '../../src/contracts/index.js';
import { applyBackupEvent } from '../../src/control-plane/backup-events.js';
import { signDownloadLink } from '../../src/control-plane/download-links.js';
import { call, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

describe('download links served by the API (filesystem store)', () => {
  let cp: TestControlPlane;
  let backupId: string;
  let ownerToken: string;
  const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  const sha256 = createHash('sha256').update(content).digest('hex');

  beforeAll(async () => {
    cp = await startTestControlPlane('pglite');
    const seeded = await seedProject(cp.app, 'downloads');
    ownerToken = seeded.ownerToken;
    const created = await call(cp.app, 'POST', `/v1/services/${seeded.serviceId}/backups`, { token: ownerToken });
    backupId = created.body.id;
    const key = `projects/${seeded.projectId}/services/${seeded.serviceId}/backups/${backupId}/backup.dump`;
    await mkdir(join(cp.storageDir, key, '..'), { recursive: true });
    await writeFile(join(cp.storageDir, key), content);
    const fields = { correlationId: backupId, projectId: seeded.projectId };
    await applyBackupEvent(
      cp.plane.db,
      envelope('backup.succeeded', fields, {
        backupId,
        artifact: { key, manifestKey: key.replace('backup.dump', 'manifest.json'), sizeBytes: content.length, sha256 },
        serverVersion: '15.20',
        toolVersion: '15.20',
        startedAt: '2026-11-24T10:00:00.000Z',
        finishedAt: '2026-11-24T10:01:00.000Z',
      }),
    );
  });
  afterAll(async () => cp?.close());

  const pathOf = (url: string) => url.replace('http://lifeboat.test', '');

  it('issues a link that works without a token and names the file', async () => {
    const issued = await call(cp.app, 'POST', `/v1/backups/${backupId}/download-url`, { token: ownerToken });
    expect(issued.status).toBe(200);
    expect(issued.body.url).toMatch(new RegExp(`^http://lifeboat.test/v1/downloads/${backupId}\\?expires=\\d+&signature=`));
    const expiresIn = new Date(issued.body.expiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(880_000);
    expect(expiresIn).toBeLessThanOrEqual(900_000);

    const response = await cp.app.inject({ method: 'GET', url: pathOf(issued.body.url) });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(content)).toBe(true);
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="orders-db-\d{8}T\d{6}Z\.dump"$/);
    expect(response.headers['content-length']).toBe(String(content.length));
    expect(response.headers['accept-ranges']).toBe('bytes');
  });

  it('serves byte ranges, and refuses ranges past the end', async () => {
    const { url } = (await call(cp.app, 'POST', `/v1/backups/${backupId}/download-url`, { token: ownerToken })).body;
    const partial = await cp.app.inject({ method: 'GET', url: pathOf(url), headers: { range: 'bytes=100-199' } });
    expect(partial.statusCode).toBe(206);
    expect(partial.headers['content-range']).toBe(`bytes 100-199/${content.length}`);
    expect(partial.rawPayload.equals(content.subarray(100, 200))).toBe(true);
    const tail = await cp.app.inject({ method: 'GET', url: pathOf(url), headers: { range: 'bytes=-10' } });
    expect(tail.rawPayload.equals(content.subarray(content.length - 10))).toBe(true);
    const beyond = await cp.app.inject({ method: 'GET', url: pathOf(url), headers: { range: `bytes=${content.length}-` } });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${content.length}`);
  });

  it('answers 403 to a tampered or expired link', async () => {
    const { url } = (await call(cp.app, 'POST', `/v1/backups/${backupId}/download-url`, { token: ownerToken })).body;
    const tampered = pathOf(url).replace(/expires=(\d+)/, (_: string, n: string) => `expires=${Number(n) + 60}`);
    const refused = await call(cp.app, 'GET', tampered);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('download_link_invalid');

    const old = signDownloadLink(cp.plane.keys.downloadLinks, backupId, new Date(Date.now() - 1000));
    const expired = await call(cp.app, 'GET', `/v1/downloads/${backupId}?expires=${old.expires}&signature=${old.signature}`);
    expect(expired.status).toBe(403);
    expect(expired.body.error).toEqual({ code: 'download_link_expired', message: 'this download link has expired; ask for a new one' });

    const otherBackup = await call(cp.app, 'GET', pathOf(url).replace(backupId, 'bkp_0000000000000000'));
    expect(otherBackup.status).toBe(403);
    expect((await call(cp.app, 'GET', `/v1/downloads/${backupId}`)).status).toBe(400);
  });

  it('refuses a restore drill when no verification server is configured, saying who can fix it', async () => {
    const refused = await call(cp.app, 'POST', `/v1/backups/${backupId}/verify`, { token: ownerToken });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toEqual({ code: 'verification_unavailable', message: 'restore drills of PostgreSQL backups need a verification server: the operator sets LIFEBOAT_VERIFY_DATABASE_URL' });
  });

  it('offers no link for a backup that has not succeeded', async () => {
    const seeded = await seedProject(cp.app, 'downloads-b');
    const created = await call(cp.app, 'POST', `/v1/services/${seeded.serviceId}/backups`, { token: seeded.ownerToken });
    const refused = await call(cp.app, 'POST', `/v1/backups/${created.body.id}/download-url`, { token: seeded.ownerToken });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({ code: 'backup_not_downloadable', message: `backup ${created.body.id} is requested; only a succeeded backup can be downloaded` });
  });
});
