import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { envelope, subjectOf } from '../../src/contracts/index.js';
import { migrateSchema } from '../../src/db/migrations.js';
import { schemaView } from '../../src/db/platform-database.js';
import { consumeBackupCommands } from '../../src/orchestrator/intake.js';
import { orchestratorMigrations } from '../../src/orchestrator/migrations.js';
import { orchestratorSchema, type OrchestratorTables } from '../../src/orchestrator/tables.js';
import { openTestPlatformDatabase, silentLogger, type TestPlatformDatabase } from '../support/platform-db.js';

/** A command the orchestrator can never process ends its backup as failed, with the reason, instead of vanishing. */
describe('poisoned commands', () => {
  let platform: TestPlatformDatabase;
  beforeAll(async () => {
    platform = await openTestPlatformDatabase('postgres');
    await migrateSchema(platform.database.db, orchestratorSchema, orchestratorMigrations);
  });
  afterAll(async () => platform?.close());

  it('fails the backup once the command has used up its deliveries', async () => {
    const bus = await EmbeddedBus.open({ database: platform.database, logger: silentLogger, pollIntervalMs: 50, retryBaseMs: 20 });
    const db = schemaView<OrchestratorTables>(platform.database, orchestratorSchema);
    let attempts = 0;
    // Whatever goes wrong in handling, every time: here, the kill switch cannot be read.
    const subscription = await consumeBackupCommands({
      bus,
      db,
      logger: silentLogger,
      killSwitch: async () => {
        attempts++;
        throw new Error('settings are unreadable');
      },
      onRecorded: () => undefined,
      maxDeliver: 5,
    });
    try {
      const command = envelope(
        'backup.requested',
        { correlationId: 'bkp_poisoned', projectId: 'prj_p' },
        {
          backupId: 'bkp_poisoned',
          serviceId: 'svc_p',
          serviceName: 'p',
          trigger: 'manual' as const,
          engine: 'postgresql' as const,
          connection: { host: 'h', port: 5432, database: 'd', user: 'u' },
          sealedPassword: 'v1.x.y',
          deadlineSeconds: 60,
        },
      );
      await bus.publish({ id: command.id, subject: subjectOf(command.type), data: JSON.stringify(command) });
      const deadline = Date.now() + 20_000;
      let job;
      while (!(job = await db.selectFrom('jobs').selectAll().where('backup_id', '=', 'bkp_poisoned').executeTakeFirst())) {
        if (Date.now() > deadline) throw new Error('the poisoned command left no trace');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(attempts).toBe(5);
      expect(job).toMatchObject({ status: 'failed', failure_code: 'invalid_command' });
      expect(job.failure_message).toContain('settings are unreadable');
      const events = await db.selectFrom('outbox').select(['type', 'message']).execute();
      expect(events.map((event) => event.type)).toEqual(['backup.failed']);
    } finally {
      await subscription.stop();
      await bus.close();
    }
  });
});
