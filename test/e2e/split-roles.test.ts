import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openObjectStore } from '../../src/storage/open-object-store.js';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { startNatsServer, type TestNatsServer } from '../support/nats-server.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';
import { slowPgDump } from '../support/slow-pg-dump.js';

const adminToken = 'lba_split-roles-admin-token-0123456789';

/**
 * The production topology on one machine: two `lifeboat api` and two `lifeboat orchestrator`
 * processes sharing one PostgreSQL, one NATS JetStream and one S3-compatible server.
 */
describe('split roles on PostgreSQL + NATS + S3', () => {
  let platform: TestDatabase;
  let sources: TestDatabase[];
  let nats: TestNatsServer;
  let s3: TestS3Server;
  let work: string;
  let apis: LifeboatProcess[] = [];
  let orchestrators: LifeboatProcess[] = [];
  let env: Record<string, string>;
  let slow: Awaited<ReturnType<typeof slowPgDump>>;
  let projectId: string;
  let token: string;

  beforeAll(async () => {
    [platform, nats, s3, work] = await Promise.all([createTestDatabase('split_platform'), startNatsServer(), startS3Server(), mkdtemp(join(tmpdir(), 'lifeboat-split-'))]);
    sources = await Promise.all([createTestDatabase('split_source_a'), createTestDatabase('split_source_b')]);
    await Promise.all(sources.map((source) => seedSampleData(source, 300)));

    // Long enough a backup to kill an orchestrator in the middle of it.
    slow = await slowPgDump(work);
    env = {
      PATH: slow.path,
      LIFEBOAT_DATABASE_URL: platform.url,
      LIFEBOAT_BUS_URL: nats.url,
      LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/lifeboat?endpoint=${s3.endpoint}&region=${s3.region}`,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LIFEBOAT_SECRET_KEY: 'the shared secret of the split-roles test, 0123456789',
      LIFEBOAT_ADMIN_TOKEN: adminToken,
      LIFEBOAT_MAX_CONCURRENT_JOBS: '3',
      // One project here: its share is every slot of one orchestrator (the fair share has its own test).
      LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT: '3',
      // The sources live on this machine's PostgreSQL, beside the platform database, and a project owner registers them.
      LIFEBOAT_SERVICE_NETWORKS: '127.0.0.1/32',
      LIFEBOAT_SERVICE_REGISTRATION: 'owner',
    };
    const start = async (role: 'api' | 'orchestrator', index: number) =>
      startLifeboat(role, { ...env, LIFEBOAT_DATA_DIR: join(work, `${role}-${index}`) });
    apis = await Promise.all([start('api', 0), start('api', 1)]);
    orchestrators = await Promise.all([start('orchestrator', 0), start('orchestrator', 1)]);

    const admin = apiClient(apis[0]!.url, adminToken);
    projectId = (await admin('POST', '/v1/projects', { name: 'split' })).body.id;
    token = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token;
  });
  afterAll(async () => {
    await Promise.all([...apis, ...orchestrators].map((process) => process.stop()));
    await Promise.all([nats?.stop(), s3?.stop(), platform?.drop(), ...(sources ?? []).map((source) => source.drop())]);
    await rm(work, { recursive: true, force: true });
  });

  const client = (index: number) => apiClient(apis[index % apis.length]!.url, token);
  let serviceCount = 0;
  async function registerServices(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const source = sources[i % sources.length]!;
      const created = await client(i)('POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
        name: `svc-${++serviceCount}`,
        engine: 'postgresql',
        connection: { host: postgresHost, port: postgresPort, database: source.name, user: postgresUser, password: '' },
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }
    return ids;
  }
  const jobsOf = async (backupIds: string[]) =>
    (await platform.query('SELECT backup_id, status, attempt, owner, failure_code FROM orchestrator.jobs WHERE backup_id = ANY($1)', [backupIds])).rows as {
      backup_id: string;
      status: string;
      attempt: number;
      owner: string;
      failure_code: string | null;
    }[];

  it('runs 50 backups of 10 services through either API, each exactly once, each artifact matching its record', async () => {
    const services = await registerServices(10);
    const backups = (
      await Promise.all(
        services.map(async (serviceId, s) => {
          const done = [];
          for (let round = 0; round < 5; round++) {
            const created = await client(s + round)('POST', `/v1/services/${serviceId}/backups`);
            expect(created.status).toBe(202);
            done.push(await waitForBackup(client(s + round + 1), created.body.id, 120_000));
          }
          return done;
        }),
      )
    ).flat();
    expect(backups).toHaveLength(50);
    expect(backups.filter((backup) => backup.status !== 'succeeded')).toEqual([]);

    const jobs = await jobsOf(backups.map((backup) => backup.id));
    expect(jobs).toHaveLength(50);
    expect(jobs.every((job) => job.status === 'succeeded' && job.attempt === 1)).toBe(true);

    const store = await openObjectStore(env.LIFEBOAT_STORAGE_URL!, { s3Credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    for (const backup of backups) {
      const link = await client(0)('POST', `/v1/backups/${backup.id}/download-url`);
      const response = await fetch(link.body.url);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.length).toBe(backup.sizeBytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(backup.sha256);
    }
    let objects = 0;
    for await (const _ of store.list('')) objects++;
    expect(objects).toBe(100);
    // 50 backups through two orchestrators on two cores: 51–60 s on this project's machines, with four processes of the topology and the agents sharing them.
  }, 180_000);

  it('ends every backup of an orchestrator killed mid-job, leaving no artifact without a record', async () => {
    let victimIndex = -1;
    await slow.setDelay(4);
    try {
      const services = await registerServices(6);
      const created = await Promise.all(services.map(async (serviceId, i) => (await client(i)('POST', `/v1/services/${serviceId}/backups`)).body.id as string));
      // The orchestrator killed is one running a job: with the project's fair share (3 jobs in all),
      // one replica may hold every job of the project, so which one is not fixed.
      const deadline = Date.now() + 30_000;
      while (victimIndex < 0) {
        const running = (await jobsOf(created)).filter((job) => job.status === 'running');
        victimIndex = orchestrators.findIndex((candidate) => running.some((job) => job.owner.includes(`/${candidate.child.pid}/`)));
        if (victimIndex >= 0) break;
        if (Date.now() > deadline) throw new Error('no orchestrator took a job');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const victim = orchestrators[victimIndex]!;
      const victimOwner = `/${victim.child.pid}/`;
      await victim.stop('SIGKILL');

      const finished = await Promise.all(created.map((id) => waitForBackup(client(1), id, 60_000)));
      const jobs = await jobsOf(created);
      for (const backup of finished) {
        const job = jobs.find((candidate) => candidate.backup_id === backup.id)!;
        if (job.owner.includes(victimOwner)) expect(backup.failure?.code).toBe('job_lost');
        else expect(backup.status).toBe('succeeded');
      }
      expect(finished.some((backup) => backup.failure?.code === 'job_lost')).toBe(true);

      const store = await openObjectStore(env.LIFEBOAT_STORAGE_URL!, { s3Credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
      const succeeded = new Set((await platform.query(`SELECT id FROM control.backups WHERE status = 'succeeded'`)).rows.map((row: { id: string }) => row.id));
      for await (const object of store.list('')) {
        const backupId = /backups\/(bkp_[0-9a-z]+)\//.exec(object.key)?.[1];
        expect(succeeded.has(backupId ?? ''), object.key).toBe(true);
      }
    } finally {
      await slow.setDelay(0);
      if (victimIndex >= 0) orchestrators[victimIndex] = await startLifeboat('orchestrator', { ...env, LIFEBOAT_DATA_DIR: join(work, `orchestrator-${victimIndex}`) });
    }
  });

  it('loses no backup when NATS restarts mid-run, and fails with storage_unavailable while S3 refuses', async () => {
    const services = await registerServices(4);
    await slow.setDelay(2);
    const first = await Promise.all(services.map(async (serviceId, i) => (await client(i)('POST', `/v1/services/${serviceId}/backups`)).body.id as string));
    await nats.restart();
    await slow.setDelay(0);
    const afterRestart = await Promise.all(first.map((id) => waitForBackup(client(0), id, 90_000)));
    expect(afterRestart.map((backup) => backup.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);

    // S3 refuses every upload for a while: those backups fail with a reason, none hangs.
    const lift = s3.refuse((request) => request.method === 'PUT' || request.method === 'POST', 503, 'SlowDown');
    let refused;
    try {
      const second = await Promise.all(services.map(async (serviceId, i) => (await client(i)('POST', `/v1/services/${serviceId}/backups`)).body.id as string));
      refused = await Promise.all(second.map((id) => waitForBackup(client(1), id, 90_000)));
    } finally {
      lift();
    }
    expect(refused.map((backup) => backup.failure?.code)).toEqual(['storage_unavailable', 'storage_unavailable', 'storage_unavailable', 'storage_unavailable']);

    const third = await Promise.all(services.map(async (serviceId, i) => (await client(i)('POST', `/v1/services/${serviceId}/backups`)).body.id as string));
    const recovered = await Promise.all(third.map((id) => waitForBackup(client(0), id, 90_000)));
    expect(recovered.every((backup) => backup.status === 'succeeded')).toBe(true);
  });
});
