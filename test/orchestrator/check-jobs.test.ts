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
import { createTestDatabase, postgresHost, postgresPort, postgresUser, type TestDatabase } from '../support/postgres.js';

const keys = deriveKeys('the secret of the orchestrator tests, long enough');

/**
 * Connection checks in the orchestrator: one job per check however often its command arrives,
 * its verdict as a typed event, and the sealed password of a registration that may never be
 * saved dropped from the job's record once the check has ended.
 */
describe('connection check jobs', () => {
  let platform: TestPlatformDatabase;
  let source: TestDatabase;
  let storageDir: string;
  let bus: EventBus;
  let orchestrator: Orchestrator;

  beforeAll(async () => {
    platform = await openTestPlatformDatabase('postgres');
    source = await createTestDatabase('check_source');
    storageDir = await mkdtemp(join(tmpdir(), 'lifeboat-checkjob-'));
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

  function command(checkId: string, database: string) {
    return envelope(
      'check.requested',
      { correlationId: checkId, projectId: 'prj_check' },
      {
        checkId,
        serviceId: 'svc_notyetsaved0001',
        engine: 'postgresql' as const,
        connection: { host: postgresHost, port: postgresPort, database, user: postgresUser },
        sealedPassword: seal(keys.credentials, '', 'svc_notyetsaved0001'),
        deadlineSeconds: 120,
      },
    );
  }

  async function verdictOf(checkId: string, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = (await db().selectFrom('outbox').select(['type', 'message']).execute()).filter((row) => (row.message as { payload: { checkId?: string } }).payload.checkId === checkId);
      if (rows.length > 0) {
        // Give a wrongly launched second job the time to report too.
        await new Promise((r) => setTimeout(r, 1500));
        return (await db().selectFrom('outbox').select(['type', 'message']).execute()).filter((row) => (row.message as { payload: { checkId?: string } }).payload.checkId === checkId);
      }
      if (Date.now() > deadline) throw new Error(`no verdict for ${checkId}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('runs one job for a check delivered twice, announces check.succeeded, and keeps no sealed password afterwards', async () => {
    const original = command('chk_checkjob000001', source.name);
    await bus.publish({ id: original.id, subject: subjectOf(original.type), data: JSON.stringify(original) });
    await bus.publish({ id: original.id, subject: subjectOf(original.type), data: JSON.stringify(original) });
    const events = await verdictOf(original.payload.checkId);
    expect(events.map((event) => event.type)).toEqual(['check.succeeded']);
    expect((events[0]!.message as { payload: { serverVersion: string } }).payload.serverVersion).toMatch(/^\d+/);
    const jobs = await db().selectFrom('jobs').selectAll().where('kind', '=', 'check').where('check_id', '=', original.payload.checkId).execute();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'succeeded' });
    expect(JSON.stringify(jobs[0]!.command)).not.toContain('sealedPassword');
    expect((jobs[0]!.command as { payload: { connection: unknown } }).payload.connection).toMatchObject({ database: source.name });
  });

  it('announces check.failed with the code a backup would fail with', async () => {
    const missing = command('chk_checkjob000002', 'no_such_database_here');
    await bus.publish({ id: missing.id, subject: subjectOf(missing.type), data: JSON.stringify(missing) });
    const events = await verdictOf(missing.payload.checkId);
    expect(events.map((event) => event.type)).toEqual(['check.failed']);
    expect((events[0]!.message as { payload: { failure: { code: string } } }).payload.failure.code).toBe('database_not_found');
  });
});
