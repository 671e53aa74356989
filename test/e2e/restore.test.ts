import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type apiClient, type LifeboatProcess, ownedProject, registerService, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { adminQuery, createTestDatabase, databaseState, queryDatabase, seedVariedContent, type TestDatabase } from '../support/postgres.js';

/** Restores through the real `lifeboat serve`: new database, in place with a safety backup, and a corrupted artifact. */
describe('restores through lifeboat serve', () => {
  let source: TestDatabase;
  let dataDir: string;
  let lifeboat: LifeboatProcess;
  let api: ReturnType<typeof apiClient>;
  let serviceId: string;
  let backup: { id: string; sha256: string };
  const created: string[] = [];

  beforeAll(async () => {
    source = await createTestDatabase('restore_e2e');
    await seedVariedContent(source);
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-restore-e2e-'));
    await seedPlatformDatabase(dataDir);
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir });
    const project = await ownedProject(lifeboat, 'restores');
    api = project.api;
    serviceId = await registerService(api, project.projectId, { name: 'ledger', database: source.name });
    backup = await waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
    expect(backup).toMatchObject({ status: 'succeeded' });
  });
  afterAll(async () => {
    await lifeboat?.stop();
    for (const name of created) await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await source?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function waitForRestore(restoreId: string): Promise<any> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { body } = await api('GET', `/v1/restores/${restoreId}`);
      if (['succeeded', 'failed', 'canceled'].includes(body.status)) return body;
      if (Date.now() > deadline) throw new Error(`restore ${restoreId} is still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  it('restores into a new database with every table, sequence and large object', async () => {
    const database = `${source.name}_restored`;
    created.push(database);
    const requested = await api('POST', `/v1/backups/${backup.id}/restores`, { target: { kind: 'new_database', database } });
    expect(requested.status).toBe(202);
    const restore = await waitForRestore(requested.body.id);
    expect(restore).toMatchObject({ status: 'succeeded', backupId: backup.id, target: { kind: 'new_database', database }, failure: null });
    expect(await databaseState({ query: (text: string) => queryDatabase(database, text) })).toEqual(await databaseState(source));
  });

  it('restores in place only when confirmed, after a safety backup, bringing the data back', async () => {
    const before = await databaseState(source);
    await source.query(`DELETE FROM billing.invoices; UPDATE "Inventar"."Artikel" SET bezeichnung = 'weg'`);
    const unconfirmed = await api('POST', `/v1/backups/${backup.id}/restores`, { target: { kind: 'in_place', confirm: 'wrong' } });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body.error.message).toContain('set confirm to "ledger"');

    const requested = await api('POST', `/v1/backups/${backup.id}/restores`, { target: { kind: 'in_place', confirm: 'ledger' } });
    expect(requested.status).toBe(202);
    expect(requested.body.safetyBackupId).toMatch(/^bkp_/);
    // While it runs, the service takes no other backup or restore.
    expect((await api('POST', `/v1/services/${serviceId}/backups`)).status).toBe(409);
    expect((await api('POST', `/v1/backups/${backup.id}/restores`, { target: { kind: 'new_database', database: 'another' } })).status).toBe(409);

    const restore = await waitForRestore(requested.body.id);
    expect(restore.status).toBe('succeeded');
    const safety = (await api('GET', `/v1/backups/${requested.body.safetyBackupId}`)).body;
    expect(safety).toMatchObject({ status: 'succeeded', trigger: 'safety' });
    expect(await databaseState(source)).toEqual(before);
    const safetyContents = (await api('GET', `/v1/backups/${safety.id}/contents`)).body;
    expect(safetyContents.tables.find((table: { name: string }) => table.name === 'invoices').rows).toBe(0);
  });

  it('refuses a corrupted artifact before touching anything', async () => {
    const key = `projects/${(await api('GET', `/v1/backups/${backup.id}`)).body.projectId}/services/${serviceId}/backups/${backup.id}/backup.dump`;
    const file = await open(join(dataDir, 'artifacts', ...key.split('/')), 'r+');
    await file.write(Buffer.from('corrupt'), 0, 7, 2000);
    await file.close();
    const database = `${source.name}_never`;
    const requested = await api('POST', `/v1/backups/${backup.id}/restores`, { target: { kind: 'new_database', database } });
    const restore = await waitForRestore(requested.body.id);
    expect(restore.failure.code).toBe('checksum_mismatch');
    expect((await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount).toBe(0);
    const audit = await api('GET', `/v1/audit?targetId=${requested.body.id}`);
    expect(audit.body.entries.map((entry: { action: string }) => entry.action).reverse()).toEqual(['restore.requested', 'restore.started', 'restore.failed']);
  });
});
