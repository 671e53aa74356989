import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';
import { slowPgDump } from '../support/slow-pg-dump.js';


/** A backup's lifecycle through the real `lifeboat serve` with S3 storage: cancel, delete, deadlines, the kill switch, restarts. */
describe('backup lifecycle through lifeboat serve', () => {
  let platform: TestDatabase;
  let small: TestDatabase;
  let large: TestDatabase;
  let s3: TestS3Server;
  let s3Client: S3Client;
  let work: string;
  let slow: Awaited<ReturnType<typeof slowPgDump>>;
  let env: Record<string, string>;
  let lifeboat: LifeboatProcess;
  let api: ReturnType<typeof apiClient>;
  let admin: ReturnType<typeof apiClient>;
  let projectId: string;
  let services = 0;

  beforeAll(async () => {
    [platform, small, large, s3, work] = await Promise.all([
      createTestDatabase('lifecycle_platform'),
      createTestDatabase('lifecycle_small'),
      createTestDatabase('lifecycle_large'),
      startS3Server(),
      mkdtemp(join(tmpdir(), 'lifeboat-lifecycle-')),
    ]);
    await seedSampleData(small, 200);
    // ~100 MiB of random bytes: its dump takes seconds, long enough to cancel midway.
    await large.query('CREATE EXTENSION pgcrypto; CREATE TABLE blobs (id int PRIMARY KEY, payload bytea)');
    await large.query('INSERT INTO blobs SELECT g, gen_random_bytes(1024) FROM generate_series(1, 100000) g');
    s3Client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });

    slow = await slowPgDump(work);
    env = {
      PATH: slow.path,
      LIFEBOAT_DATA_DIR: join(work, 'data'),
      LIFEBOAT_DATABASE_URL: platform.url,
      LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/lifeboat?endpoint=${s3.endpoint}&region=${s3.region}`,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LIFEBOAT_JOB_DEADLINE_SECONDS: '20',
      LIFEBOAT_MAX_CONCURRENT_JOBS: '1',
    };
    lifeboat = await startLifeboat('serve', env);
    admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    projectId = (await admin('POST', '/v1/projects', { name: 'lifecycle' })).body.id;
    api = apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token);
  });
  afterAll(async () => {
    await lifeboat?.stop();
    s3Client?.destroy();
    await Promise.all([s3?.stop(), platform?.drop(), small?.drop(), large?.drop()]);
    await rm(work, { recursive: true, force: true });
  });

  async function service(database: TestDatabase): Promise<string> {
    const created = await api('POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
      name: `lifecycle-${++services}`,
      engine: 'postgresql',
      connection: { host: postgresHost, port: postgresPort, database: database.name, user: postgresUser, password: '' },
    });
    return created.body.id;
  }
  const backUp = async (serviceId: string) => (await api('POST', `/v1/services/${serviceId}/backups`)).body.id as string;
  const until = async (check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const status = async (backupId: string) => (await api('GET', `/v1/backups/${backupId}`)).body.status as string;
  async function leftInStorage(backupId: string): Promise<{ objects: number; uploads: number }> {
    const prefix = `lifeboat/projects/${projectId}/`;
    const objects = await s3Client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    const uploads = await s3Client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }));
    return {
      objects: (objects.Contents ?? []).filter((object) => object.Key?.includes(backupId)).length,
      uploads: (uploads.Uploads ?? []).filter((upload) => upload.Key?.includes(backupId)).length,
    };
  }

  it('cancels a backup during a real pg_dump: canceled, no object and no open multipart upload', async () => {
    const backupId = await backUp(await service(large));
    await until(async () => (await status(backupId)) === 'running');
    // Wait until parts are being uploaded, so there is a multipart upload to abort.
    await until(async () => s3.requests.some((request) => request.query.has('uploadId') && request.path.includes(backupId)));
    const cancel = await api('POST', `/v1/backups/${backupId}/cancel`);
    expect(cancel.status).toBe(202);
    const backup = await waitForBackup(api, backupId);
    expect(backup.status).toBe('canceled');
    expect(await leftInStorage(backupId)).toEqual({ objects: 0, uploads: 0 });
    const audit = await api('GET', `/v1/audit?targetId=${backupId}`);
    expect(audit.body.entries.map((entry: { action: string }) => entry.action).reverse()).toEqual(['backup.requested', 'backup.started', 'backup.cancel_requested', 'backup.canceled']);
    expect((await api('POST', `/v1/backups/${backupId}/cancel`)).body.error.code).toBe('backup_not_cancelable');
  });

  it('deletes a succeeded backup: record deleted, files gone', async () => {
    const backupId = await backUp(await service(small));
    expect((await waitForBackup(api, backupId)).status).toBe('succeeded');
    expect((await leftInStorage(backupId)).objects).toBe(2);
    const deleted = await api('DELETE', `/v1/backups/${backupId}`);
    expect(deleted.body.status).toBe('deleted');
    await until(async () => (await leftInStorage(backupId)).objects === 0);
    await until(async () => (await platform.query('SELECT artifact_deleted_at FROM control.backups WHERE id = $1', [backupId])).rows[0].artifact_deleted_at !== null);
    expect((await api('POST', `/v1/backups/${backupId}/download-url`)).body.error.code).toBe('backup_not_downloadable');
  });

  it('fails a job whose pg_dump hangs with timeout at its deadline, leaving nothing', async () => {
    await slow.setDelay(600);
    try {
      const started = Date.now();
      const backupId = await backUp(await service(small));
      const backup = await waitForBackup(api, backupId, 60_000);
      expect(backup.failure?.code).toBe('timeout');
      expect(backup.failure?.message).toContain('20 s');
      expect(Date.now() - started).toBeGreaterThan(19_000);
      expect(await leftInStorage(backupId)).toEqual({ objects: 0, uploads: 0 });
    } finally {
      await slow.setDelay(0);
    }
  });

  it('launches none of the queued backups once the kill switch is engaged, and audits who engaged it', async () => {
    await slow.setDelay(3);
    let running: string;
    let queued: string;
    try {
      running = await backUp(await service(small));
      await until(async () => (await status(running)) === 'running');
      // One job slot: this one waits behind the first.
      queued = await backUp(await service(small));
      await until(async () => (await status(queued)) === 'queued');
      expect((await admin('PUT', '/v1/admin/kill-switch', { engaged: true, reason: 'storage maintenance' })).status).toBe(200);
    } finally {
      await slow.setDelay(0);
    }
    try {
      const refused = await waitForBackup(api, queued);
      expect(refused.failure).toEqual({ code: 'feature_disabled', message: 'backups are disabled by the kill switch: storage maintenance' });
      expect(refused.startedAt).toBeNull();
      expect((await waitForBackup(api, running)).status).toBe('succeeded');
      const jobs = await platform.query('SELECT status, started_at FROM orchestrator.jobs WHERE backup_id = $1', [queued]);
      expect(jobs.rows[0]).toMatchObject({ status: 'failed', started_at: null });
      const audit = await admin('GET', '/v1/audit?action=kill_switch.engaged');
      expect(audit.body.entries[0]).toMatchObject({ actor: 'admin', action: 'kill_switch.engaged', details: { reason: 'storage maintenance' } });
      expect((await api('POST', `/v1/services/${(await service(small))}/backups`)).status).toBe(503);
    } finally {
      await admin('PUT', '/v1/admin/kill-switch', { engaged: false });
    }
  });

  it('reconciles a job whose orchestrator was killed: after a restart nothing is left running', async () => {
    await slow.setDelay(5);
    const backupId = await backUp(await service(small));
    await until(async () => (await status(backupId)) === 'running');
    await lifeboat.stop('SIGKILL');
    await slow.setDelay(0);
    lifeboat = await startLifeboat('serve', env);
    api = apiClient(lifeboat.url, (await apiClient(lifeboat.url, lifeboat.adminToken!)('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token);
    const backup = await waitForBackup(api, backupId, 30_000);
    expect(backup.failure?.code).toBe('job_lost');
    expect(await leftInStorage(backupId)).toEqual({ objects: 0, uploads: 0 });
    const next = await backUp(await service(small));
    expect((await waitForBackup(api, next)).status).toBe('succeeded');
  });
});
