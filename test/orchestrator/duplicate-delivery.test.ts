import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBus } from '../../src/bus/event-bus.js';
import { openEventBus } from '../../src/bus/open-bus.js';
import { envelope, subjectOf } from '../../src/contracts/index.js';
import { schemaView } from '../../src/db/platform-database.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { orchestratorSchema, type OrchestratorTables } from '../../src/orchestrator/tables.js';
import { LocalRunner } from '../../src/runner/local.js';
import { deriveKeys } from '../../src/secrets/keys.js';
import { seal } from '../../src/secrets/sealed-box.js';
import { FilesystemStore } from '../../src/storage/fs.js';
import { openTestPlatformDatabase, silentLogger, type TestPlatformDatabase } from '../support/platform-db.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';

const keys = deriveKeys('the secret of the orchestrator tests, long enough');

/** At-least-once delivery must not mean at-least-once backups: one job per backup, whatever arrives twice. */
describe('orchestrator under duplicate delivery', () => {
  let platform: TestPlatformDatabase;
  let source: TestDatabase;
  let storageDir: string;
  let bus: EventBus;
  let orchestrator: Orchestrator;

  beforeAll(async () => {
    platform = await openTestPlatformDatabase('postgres');
    source = await createTestDatabase('dup_source');
    await seedSampleData(source, 200);
    storageDir = await mkdtemp(join(tmpdir(), 'lifeboat-dup-'));
    bus = await openEventBus({ busUrl: undefined, database: platform.database, logger: silentLogger });
    orchestrator = await Orchestrator.start({
      database: platform.database,
      databaseUrl: platform.url,
      bus,
      runner: new LocalRunner({ command: [process.execPath, resolve('dist/cli/main.js')], inheritedEnv: { PATH: process.env.PATH ?? '' }, logger: silentLogger }),
      store: new FilesystemStore(storageDir),
      storageUrl: `file://${storageDir}`,
      credentialsKey: keys.credentials,
      logger: silentLogger,
      maxConcurrentJobs: 2,
      maxConcurrentJobsPerProject: 2,
      killSwitchFromConfiguration: false,
    });
  });
  afterAll(async () => {
    await orchestrator?.stop();
    await bus?.close();
    await platform?.close();
    await source?.drop();
    await rm(storageDir, { recursive: true, force: true });
  });

  const db = () => schemaView<OrchestratorTables>(platform.database, orchestratorSchema);

  function command(backupId: string) {
    return envelope(
      'backup.requested',
      { correlationId: backupId, projectId: 'prj_dup' },
      {
        backupId,
        serviceId: 'svc_dup',
        serviceName: 'dup-db',
        trigger: 'manual' as const,
        engine: 'postgresql' as const,
        connection: { host: postgresHost, port: postgresPort, database: source.name, user: postgresUser },
        sealedPassword: seal(keys.credentials, '', 'svc_dup'),
        deadlineSeconds: 120,
      },
    );
  }

  async function terminalEventsFor(backupId: string, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await db().selectFrom('outbox').select(['type', 'message']).execute();
      const mine = rows.filter((row) => (row.message as { payload: { backupId: string } }).payload.backupId === backupId);
      if (mine.some((row) => ['backup.succeeded', 'backup.failed', 'backup.canceled'].includes(row.type))) {
        // Give a wrongly launched second job the time to report too.
        await new Promise((r) => setTimeout(r, 1500));
        return (await db().selectFrom('outbox').select(['type', 'message']).execute()).filter(
          (row) => (row.message as { payload: { backupId: string } }).payload.backupId === backupId,
        );
      }
      if (Date.now() > deadline) throw new Error(`no terminal event for ${backupId}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('launches one job when the same command is delivered twice, or replayed under another message id', async () => {
    const original = command('bkp_duplicate00001');
    await bus.publish({ id: original.id, subject: subjectOf(original.type), data: JSON.stringify(original) });
    await bus.publish({ id: original.id, subject: subjectOf(original.type), data: JSON.stringify(original) });
    const replay = { ...original, id: crypto.randomUUID() };
    await bus.publish({ id: replay.id, subject: subjectOf(replay.type), data: JSON.stringify(replay) });

    const events = await terminalEventsFor(original.payload.backupId);
    expect(events.map((e) => e.type).filter((type) => type !== 'backup.progress').sort()).toEqual(['backup.started', 'backup.succeeded']);
    const jobs = await db().selectFrom('jobs').selectAll().where('backup_id', '=', original.payload.backupId).execute();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'succeeded', attempt: 1 });
  });
});
