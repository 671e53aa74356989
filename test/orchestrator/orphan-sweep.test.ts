import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPrefixOf } from '../../src/contracts/index.js';
import { migrateSchema } from '../../src/db/migrations.js';
import { schemaView } from '../../src/db/platform-database.js';
import { orchestratorMigrations } from '../../src/orchestrator/migrations.js';
import { sweepOrphans } from '../../src/orchestrator/orphan-sweep.js';
import { orchestratorSchema, type JobStatus, type OrchestratorTables } from '../../src/orchestrator/tables.js';
import { FilesystemStore } from '../../src/storage/fs.js';
import { openTestPlatformDatabase, silentLogger, type TestPlatformDatabase } from '../support/platform-db.js';

describe('orphan sweep', () => {
  let platform: TestPlatformDatabase;
  let dir: string;
  let store: FilesystemStore;
  beforeAll(async () => {
    platform = await openTestPlatformDatabase('postgres');
    await migrateSchema(platform.database.db, orchestratorSchema, orchestratorMigrations);
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-orphans-'));
    store = new FilesystemStore(dir);
  });
  afterAll(async () => {
    await platform?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const db = () => schemaView<OrchestratorTables>(platform.database, orchestratorSchema);
  async function backupWithFiles(backupId: string, status: JobStatus | undefined, options: { deleteRequested?: boolean } = {}) {
    const prefix = artifactPrefixOf({ projectId: 'prj_o', serviceId: 'svc_o', backupId });
    await store.put(`${prefix}backup.dump`, Readable.from([Buffer.from('dump')]));
    if (status) {
      await db()
        .insertInto('jobs')
        .values({
          id: `job_${backupId}`,
          backup_id: backupId,
          project_id: 'prj_o',
          service_id: 'svc_o',
          correlation_id: backupId,
          status,
          command: '{}',
          owner: null,
          runner_handle: null,
          heartbeat_at: null,
          deadline_at: new Date(),
          started_at: null,
          finished_at: null,
          failure_code: null,
          failure_message: null,
          artifact_delete_requested_at: options.deleteRequested ? new Date() : null,
        })
        .execute();
    }
    return prefix;
  }

  it('removes files whose backup failed or has no job, once past the grace period, and nothing else', async () => {
    const keep = [await backupWithFiles('bkp_running', 'running'), await backupWithFiles('bkp_pending', 'pending'), await backupWithFiles('bkp_succeeded', 'succeeded')];
    const orphans = [
      await backupWithFiles('bkp_failed', 'failed'),
      await backupWithFiles('bkp_canceled', 'canceled'),
      await backupWithFiles('bkp_unknown', undefined),
      // Its deletion was asked for, but storage was away longer than the command was retried.
      await backupWithFiles('bkp_deleted', 'succeeded', { deleteRequested: true }),
    ];

    expect(await sweepOrphans({ db: db(), store, graceMs: 3600_000, logger: silentLogger })).toEqual([]);
    const removed = await sweepOrphans({ db: db(), store, graceMs: 3600_000, now: new Date(Date.now() + 2 * 3600_000), logger: silentLogger });
    expect(removed.sort()).toEqual(['bkp_canceled', 'bkp_deleted', 'bkp_failed', 'bkp_unknown']);
    for (const prefix of keep) expect(await store.head(`${prefix}backup.dump`)).not.toBeNull();
    for (const prefix of orphans) expect(await store.head(`${prefix}backup.dump`)).toBeNull();
  });
});
