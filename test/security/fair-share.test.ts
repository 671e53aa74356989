import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope } from '../../src/contracts/index.js';
import { migrateSchema } from '../../src/db/migrations.js';
import { schemaView } from '../../src/db/platform-database.js';
import { claimPendingJobs, endUnstartableJobs } from '../../src/orchestrator/job-queue.js';
import { recordJob } from '../../src/orchestrator/jobs.js';
import { orchestratorMigrations } from '../../src/orchestrator/migrations.js';
import { orchestratorSchema, type OrchestratorTables } from '../../src/orchestrator/tables.js';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { openTestPlatformDatabase, type TestPlatformDatabase } from '../support/platform-db.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';
import { slowPgDump } from '../support/slow-pg-dump.js';

/** One project cannot starve another of job slots (issue #16): a per-project limit and a fair queue. */
describe('fair share of job slots through lifeboat serve', () => {
  let platform: TestDatabase;
  let source: TestDatabase;
  let work: string;
  let lifeboat: LifeboatProcess;
  let admin: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    [platform, source, work] = await Promise.all([createTestDatabase('fair_share_platform'), createTestDatabase('fair_share_source'), mkdtemp(join(tmpdir(), 'lifeboat-fair-share-'))]);
    await seedSampleData(source, 200);
    // Each dump takes a second more: ten of them queue up behind one slot.
    const slow = await slowPgDump(work);
    await slow.setDelay(1);
    lifeboat = await startLifeboat('serve', {
      PATH: slow.path,
      LIFEBOAT_DATA_DIR: join(work, 'data'),
      LIFEBOAT_DATABASE_URL: platform.url,
      LIFEBOAT_MAX_CONCURRENT_JOBS: '2',
      LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT: '1',
    });
    admin = apiClient(lifeboat.url, lifeboat.adminToken!);
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await Promise.all([platform?.drop(), source?.drop()]);
    await rm(work, { recursive: true, force: true });
  });

  async function projectWithServices(name: string, services: number) {
    const projectId = (await admin('POST', '/v1/projects', { name })).body.id as string;
    const api = apiClient(lifeboat.url, (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token);
    const serviceIds: string[] = [];
    for (let i = 0; i < services; i++) {
      const created = await api('POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
        name: `${name}-${i}`,
        engine: 'postgresql',
        connection: { host: postgresHost, port: postgresPort, database: source.name, user: postgresUser, password: '' },
      });
      expect(created.status).toBe(201);
      serviceIds.push(created.body.id);
    }
    return { projectId, api, serviceIds };
  }
  const backUp = async (api: ReturnType<typeof apiClient>, serviceId: string) => {
    const created = await api('POST', `/v1/services/${serviceId}/backups`);
    expect(created.status).toBe(202);
    return created.body.id as string;
  };
  const jobsByProject = async (status: 'pending' | 'running') =>
    new Map(
      (await platform.query('SELECT project_id, count(*)::int AS jobs FROM orchestrator.jobs WHERE status = $1 GROUP BY project_id', [status])).rows.map(
        (row: { project_id: string; jobs: number }) => [row.project_id, row.jobs],
      ),
    );
  const until = async (check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it("one project with 10 queued backups does not delay another project's backup beyond one job", async () => {
    const a = await projectWithServices('tenant-a', 10);
    const b = await projectWithServices('tenant-b', 1);
    const aBackups = await Promise.all(a.serviceIds.map((serviceId) => backUp(a.api, serviceId)));
    // How many of each project's jobs run at once, on every sample.
    let sampling = true;
    const mostRunning = new Map<string, number>();
    const sampler = (async () => {
      while (sampling) {
        for (const [projectId, running] of await jobsByProject('running')) mostRunning.set(projectId, Math.max(running, mostRunning.get(projectId) ?? 0));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    // B asks once A's backups are queued behind the one that runs.
    await until(async () => (await jobsByProject('running')).has(a.projectId) && (await jobsByProject('pending')).get(a.projectId)! >= 8);
    const bBackup = await backUp(b.api, b.serviceIds[0]!);
    // The operator sees one project's long queue, without the tenants' ids on the open /metrics.
    await until(async () => /^lifeboat_jobs_waiting_longest_project_queue [1-9]/m.test(await fetch(`${lifeboat.url}/metrics`).then((response) => response.text())));
    expect(await fetch(`${lifeboat.url}/metrics`).then((response) => response.text())).not.toContain(a.projectId);

    const bDone = await waitForBackup(b.api, bBackup, 60_000);
    const aDone = await Promise.all(aBackups.map((id) => waitForBackup(a.api, id, 120_000)));
    sampling = false;
    await sampler;

    expect(bDone.status).toBe('succeeded');
    expect(aDone.map((backup) => backup.status)).toEqual(Array(10).fill('succeeded'));
    const aStartedWhileBWaited = aDone.filter((backup) => Date.parse(backup.startedAt) > Date.parse(bDone.requestedAt) && Date.parse(backup.startedAt) < Date.parse(bDone.startedAt));
    expect(aStartedWhileBWaited.length).toBeLessThanOrEqual(1);
    expect(mostRunning.get(a.projectId)).toBe(1);
  }, 180_000);
});

/** The per-project limit is counted in the platform database, so replicas claiming at once share it. */
describe('job claims of several orchestrator replicas', () => {
  let platform: TestPlatformDatabase;
  const db = () => schemaView<OrchestratorTables>(platform.database, orchestratorSchema);

  beforeAll(async () => {
    platform = await openTestPlatformDatabase('postgres');
    await migrateSchema(platform.database.db, orchestratorSchema, orchestratorMigrations);
  });
  afterAll(async () => platform?.close());

  const request = (projectId: string, n: number, deadlineSeconds = 300) =>
    envelope(
      'backup.requested',
      { correlationId: `bkp_${projectId}${n}`, projectId },
      {
        backupId: `bkp_${projectId}_${n}`,
        serviceId: `svc_${projectId}_${n}`,
        serviceName: `${projectId}-${n}`,
        trigger: 'manual' as const,
        engine: 'postgresql' as const,
        connection: { host: postgresHost, port: postgresPort, database: 'unused', user: postgresUser },
        sealedPassword: 'unused',
        deadlineSeconds,
      },
    );

  it('never start more of one project than its limit, however many claim at once', async () => {
    for (let n = 0; n < 12; n++) await recordJob(db(), request('prj_replicas', n), null);
    await recordJob(db(), request('prj_other', 0), null);
    // Eight replicas, each with two free slots, claiming at the same moment on connections of their own.
    const claims = await Promise.all(Array.from({ length: 8 }, (_, replica) => claimPendingJobs(db(), `replica-${replica}`, { free: 2, perProject: 2 })));
    const claimed = claims.flat();
    expect(claimed.filter((job) => job.project_id === 'prj_replicas')).toHaveLength(2);
    expect(claimed.filter((job) => job.project_id === 'prj_other')).toHaveLength(1);
    expect(new Set(claimed.map((job) => job.id)).size).toBe(claimed.length);
  });

  it("fails a job waiting behind its project's limit at its deadline, not when a slot frees up", async () => {
    await recordJob(db(), request('prj_deadline', 0, 300), null);
    await recordJob(db(), request('prj_deadline', 1, 1), null);
    expect(await claimPendingJobs(db(), 'replica-0', { free: 2, perProject: 1 })).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await endUnstartableJobs(db())).toBe(1);
    const waited = await db().selectFrom('jobs').selectAll().where('backup_id', '=', 'bkp_prj_deadline_1').executeTakeFirstOrThrow();
    expect(waited).toMatchObject({ status: 'failed', failure_code: 'timeout', failure_message: 'the backup waited for a free job slot past its deadline' });
  });
});
