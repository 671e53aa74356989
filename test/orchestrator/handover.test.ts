import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBus } from '../../src/bus/event-bus.js';
import { openEventBus } from '../../src/bus/open-bus.js';
import { artifactPrefixOf, envelope, subjectOf } from '../../src/contracts/index.js';
import { schemaView } from '../../src/db/platform-database.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { orchestratorSchema, type OrchestratorTables } from '../../src/orchestrator/tables.js';
import { LocalRunner } from '../../src/runner/local.js';
import { deriveKeys } from '../../src/secrets/keys.js';
import { seal } from '../../src/secrets/sealed-box.js';
import { FilesystemStore } from '../../src/storage/fs.js';
import { openTestPlatformDatabase, silentLogger, type TestPlatformDatabase } from '../support/platform-db.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';

const keys = deriveKeys('the secret of the handover tests, long enough to use');

/** Replicas that stop or die: their jobs are handed to another or end as job_lost, never left running. */
describe('orchestrator replicas handing over work', () => {
  let platform: TestPlatformDatabase;
  let source: TestDatabase;
  let work: string;
  let bus: EventBus;
  let slowPath: string;

  beforeAll(async () => {
    platform = await openTestPlatformDatabase('postgres');
    source = await createTestDatabase('handover_source');
    await seedSampleData(source, 200);
    work = await mkdtemp(join(tmpdir(), 'lifeboat-handover-'));
    bus = await openEventBus({ busUrl: undefined, database: platform.database, logger: silentLogger });
    // A pg_dump that takes a minute: the job is still running when its orchestrator stops.
    const bin = join(work, 'slow-bin');
    await mkdir(bin);
    const realPgDump = (await promisify(execFile)('sh', ['-c', 'command -v pg_dump'])).stdout.trim();
    await writeFile(join(bin, 'pg_dump'), `#!/bin/sh\ncase "$1" in --version) exec ${realPgDump} --version;; esac\nfor i in $(seq 600); do head -c 1024 /dev/zero; sleep 0.1; done\n`);
    await chmod(join(bin, 'pg_dump'), 0o755);
    slowPath = `${bin}:${process.env.PATH}`;
  });
  afterAll(async () => {
    await bus?.close();
    await platform?.close();
    await source?.drop();
    await rm(work, { recursive: true, force: true });
  });

  const db = () => schemaView<OrchestratorTables>(platform.database, orchestratorSchema);
  const store = () => new FilesystemStore(join(work, 'store'));

  function start(path: string, timings: { shutdownGraceMs?: number; lostAfterMs?: number; heartbeatIntervalMs?: number } = {}) {
    return Orchestrator.start({
      database: platform.database,
      databaseUrl: platform.url,
      bus,
      runner: new LocalRunner({ command: [process.execPath, resolve('dist/cli/main.js')], inheritedEnv: { PATH: path }, logger: silentLogger, killGraceMs: 2000 }),
      store: store(),
      storageUrl: pathToFileURL(join(work, 'store')).href,
      credentialsKey: keys.credentials,
      logger: silentLogger,
      maxConcurrentJobs: 2,
      maxConcurrentJobsPerProject: 2,
      killSwitchFromConfiguration: false,
      timings: { pollIntervalMs: 200, heartbeatIntervalMs: 300, ...timings },
    });
  }

  function command(backupId: string) {
    return envelope(
      'backup.requested',
      { correlationId: backupId, projectId: 'prj_handover' },
      {
        backupId,
        serviceId: 'svc_handover',
        serviceName: 'handover-db',
        trigger: 'manual' as const,
        engine: 'postgresql' as const,
        connection: { host: postgresHost, port: postgresPort, database: source.name, user: postgresUser },
        sealedPassword: seal(keys.credentials, '', 'svc_handover'),
        deadlineSeconds: 300,
      },
    );
  }

  const until = async (check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const job = (backupId: string) => db().selectFrom('jobs').selectAll().where('backup_id', '=', backupId).executeTakeFirst();
  const eventsOf = async (backupId: string) =>
    (await db().selectFrom('outbox').select(['type', 'message']).orderBy('seq').execute())
      .filter((row) => (row.message as { payload: { backupId: string } }).payload.backupId === backupId && row.type !== 'backup.progress')
      .map((row) => row.type);

  it('a stopping orchestrator hands its running job back, and another one finishes it', async () => {
    const first = await start(slowPath, { shutdownGraceMs: 500 });
    const requested = command('bkp_handover000001');
    await bus.publish({ id: requested.id, subject: subjectOf(requested.type), data: JSON.stringify(requested) });
    await until(async () => (await job(requested.payload.backupId))?.status === 'running');
    // Let the dump get going: the hand-back must also clean up what it had written.
    await new Promise((r) => setTimeout(r, 1000));
    await first.stop();
    expect(await store().head(`${artifactPrefixOf({ projectId: 'prj_handover', serviceId: 'svc_handover', backupId: requested.payload.backupId })}backup.dump`)).toBeNull();
    expect(await job(requested.payload.backupId)).toMatchObject({ status: 'pending', owner: null, attempt: 1 });

    const second = await start(process.env.PATH ?? '');
    try {
      await until(async () => (await job(requested.payload.backupId))?.status === 'succeeded');
      expect(await job(requested.payload.backupId)).toMatchObject({ attempt: 2, owner: second.owner });
      expect(await eventsOf(requested.payload.backupId)).toEqual(['backup.started', 'backup.started', 'backup.succeeded']);
    } finally {
      await second.stop();
    }
  });

  it('fails the running job of an orchestrator that died, and removes what it wrote', async () => {
    const backupId = 'bkp_handover000002';
    const prefix = artifactPrefixOf({ projectId: 'prj_handover', serviceId: 'svc_handover', backupId });
    await store().put(`${prefix}backup.dump`, (await import('node:stream')).Readable.from([Buffer.alloc(100)]));
    const dead = `${hostname()}/2147483646/deadbeef`;
    await db()
      .insertInto('jobs')
      .values({
        id: 'job_dead',
        backup_id: backupId,
        project_id: 'prj_handover',
        service_id: 'svc_handover',
        correlation_id: backupId,
        status: 'running',
        command: JSON.stringify(command(backupId)),
        owner: dead,
        runner_handle: `local:${hostname()}:2147483646`,
        heartbeat_at: new Date(),
        deadline_at: new Date(Date.now() + 300_000),
        started_at: new Date(),
        finished_at: null,
        failure_code: null,
        failure_message: null,
      })
      .execute();
    const survivor = await start(process.env.PATH ?? '');
    try {
      await until(async () => (await job(backupId))?.status === 'failed');
      expect(await job(backupId)).toMatchObject({ failure_code: 'job_lost' });
      expect(await eventsOf(backupId)).toEqual(['backup.failed']);
      expect(await store().head(`${prefix}backup.dump`)).toBeNull();
    } finally {
      await survivor.stop();
    }
  });
});
