import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import { envelope } from '../../src/contracts/index.js';
import { migrateSchema } from '../../src/db/migrations.js';
import { schemaView } from '../../src/db/platform-database.js';
import { consumeKillSwitch, consumeOrchestratorCommands } from '../../src/orchestrator/commands.js';
import { readKillSwitch, recordKillSwitch } from '../../src/orchestrator/kill-switch.js';
import { orchestratorMigrations } from '../../src/orchestrator/migrations.js';
import { orchestratorSchema, type OrchestratorTables } from '../../src/orchestrator/tables.js';
import { openObjectStore } from '../../src/storage/open-object-store.js';
import { openTestPlatformDatabase, silentLogger, type TestPlatformDatabase } from '../support/platform-db.js';
import { startS3Server } from '../support/s3-server.js';

describe("the orchestrators' kill switch", () => {
  let platform: TestPlatformDatabase;
  beforeAll(async () => {
    platform = await openTestPlatformDatabase('postgres');
    await migrateSchema(platform.database.db, orchestratorSchema, orchestratorMigrations);
  });
  afterAll(async () => platform?.close());
  const db = () => schemaView<OrchestratorTables>(platform.database, orchestratorSchema);
  const change = (engaged: boolean, changedAt: string) =>
    envelope('kill_switch.changed', { correlationId: 'kill_switch', projectId: 'operator' }, { engaged, reason: engaged ? 'maintenance' : null, changedBy: 'admin', changedAt });

  it('follows the newest change, whatever order the changes arrive in', async () => {
    expect(await readKillSwitch(db(), false)).toEqual({ engaged: false, reason: null });
    await recordKillSwitch(db(), change(true, '2026-11-24T10:00:00.000Z'));
    expect(await readKillSwitch(db(), false)).toEqual({ engaged: true, reason: 'maintenance' });
    await recordKillSwitch(db(), change(false, '2026-11-24T11:00:00.000Z'));
    // A late copy of the older change must not engage it again.
    await recordKillSwitch(db(), change(true, '2026-11-24T10:00:00.000Z'));
    expect(await readKillSwitch(db(), false)).toEqual({ engaged: false, reason: null });
  });

  it('is engaged by configuration whatever the operator last did', async () => {
    expect(await readKillSwitch(db(), true)).toEqual({ engaged: true, reason: 'engaged by configuration (LIFEBOAT_KILL_SWITCH=1)' });
  });

  it('reaches the orchestrators while a deletion waits on stalled storage', { timeout: 30_000 }, async () => {
    const s3 = await startS3Server();
    const bus = await EmbeddedBus.open({ database: platform.database, logger: silentLogger, pollIntervalMs: 50 });
    const stalled = s3.hold((request) => request.method === 'GET');
    try {
      const store = await openObjectStore(`s3://${s3.bucket}/stall?endpoint=${s3.endpoint}&region=${s3.region}`, { s3Credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
      const subscriptions = [
        await consumeOrchestratorCommands({ bus, db: db(), store, logger: silentLogger, stopIfRunningHere: async () => undefined }),
        await consumeKillSwitch({ bus, db: db(), logger: silentLogger }),
      ];
      const deletion = envelope('artifact.delete_requested', { correlationId: 'bkp_stalled000000001', projectId: 'prj_stalled000000001' }, { backupId: 'bkp_stalled000000001', serviceId: 'svc_stalled000000001', reason: 'deleted' as const });
      await bus.publish({ id: deletion.id, subject: 'lifeboat.cmd.artifact.delete_requested', data: JSON.stringify(deletion) });
      // The deletion is listing the backup's files, and S3 does not answer.
      await stalled.waitUntilHeld(1);
      const engage = change(true, new Date().toISOString());
      await bus.publish({ id: engage.id, subject: 'lifeboat.cmd.kill_switch.changed', data: JSON.stringify(engage) });
      await expect.poll(() => readKillSwitch(db(), false), { timeout: 5000 }).toEqual({ engaged: true, reason: 'maintenance' });
      stalled.release();
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    } finally {
      stalled.release();
      await bus.close();
      await s3.stop();
    }
  });
});
