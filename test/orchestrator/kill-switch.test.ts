import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope } from '../../src/contracts/index.js';
import { migrateSchema } from '../../src/db/migrations.js';
import { schemaView } from '../../src/db/platform-database.js';
import { readKillSwitch, recordKillSwitch } from '../../src/orchestrator/kill-switch.js';
import { orchestratorMigrations } from '../../src/orchestrator/migrations.js';
import { orchestratorSchema, type OrchestratorTables } from '../../src/orchestrator/tables.js';
import { openTestPlatformDatabase, type TestPlatformDatabase } from '../support/platform-db.js';

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
});
