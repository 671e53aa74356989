import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBackup } from '../../src/control-plane/backups.js';
import { findService } from '../../src/control-plane/services.js';
import { controlSchema, type ControlTables } from '../../src/control-plane/tables.js';
import { openPlatformDatabase, schemaView } from '../../src/db/platform-database.js';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase, silentLogger } from '../support/platform-db.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';

/**
 * Invariant 1 under a crash: a backup row and its outbox command are committed, the process
 * dies before its relay publishes, and after a restart the backup still completes.
 */
describe('a crash between commit and publish', () => {
  let source: TestDatabase;
  let platform: TestDatabase;
  let dataDir: string;

  beforeAll(async () => {
    source = await createTestDatabase('crash_source');
    await seedSampleData(source, 500);
    platform = await createTestDatabase('crash_platform');
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-crash-'));
  });
  afterAll(async () => {
    await source?.drop();
    await platform?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function registerService(lifeboat: LifeboatProcess): Promise<{ serviceId: string; token: string }> {
    const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    const project = await admin('POST', '/v1/projects', { name: 'crashy' });
    const owner = await admin('POST', `/v1/projects/${project.body.id}/tokens`, { role: 'owner' });
    const service = await apiClient(lifeboat.url, owner.body.token)('POST', `/v1/projects/${project.body.id}/services?skipCheck=true`, {
      name: 'crashy-db',
      engine: 'postgresql',
      connection: { host: postgresHost, port: postgresPort, database: source.name, user: postgresUser, password: '' },
    });
    return { serviceId: service.body.id, token: owner.body.token };
  }

  /** Commits a backup and its command exactly as the API route does, from outside the server. */
  async function commitBackupBehindItsBack(options: { url?: string; dataDir: string; serviceId: string }): Promise<string> {
    const database = await openPlatformDatabase({ url: options.url, dataDir: options.dataDir, logger: silentLogger });
    try {
      const db = schemaView<ControlTables>(database, controlSchema);
      const { backup } = await requestBackup(db, { service: await findService(db, options.serviceId), trigger: 'manual', idempotencyKey: null, requestedBy: 'test', deadlineSeconds: 600 }, { storageConfigured: true, killSwitchFromConfiguration: false });
      const outbox = await db.selectFrom('outbox').select('published_at').where('type', '=', 'backup.requested').execute();
      expect(outbox.filter((row) => row.published_at === null)).toHaveLength(1);
      return backup.id;
    } finally {
      await database.close();
    }
  }

  it('on a PostgreSQL platform database: committed while the server was frozen, killed, restarted', async () => {
    const env = { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_DATABASE_URL: platform.url };
    const first = await startLifeboat('serve', env);
    const { serviceId, token } = await registerService(first);
    first.child.kill('SIGSTOP');
    const backupId = await commitBackupBehindItsBack({ url: platform.url, dataDir, serviceId });
    await first.stop('SIGKILL');

    const second = await startLifeboat('serve', env);
    try {
      const backup = await waitForBackup(apiClient(second.url, token), backupId);
      expect(backup.status, second.output()).toBe('succeeded');
    } finally {
      await second.stop();
    }
  });

  it('on the embedded PGlite database: committed after the server was killed, then restarted', async () => {
    const pgliteDir = await mkdtemp(join(tmpdir(), 'lifeboat-crash-pglite-'));
    await seedPlatformDatabase(pgliteDir);
    const env = { LIFEBOAT_DATA_DIR: pgliteDir };
    const first = await startLifeboat('serve', env);
    const { serviceId, token } = await registerService(first);
    await first.stop('SIGKILL');
    const backupId = await commitBackupBehindItsBack({ dataDir: pgliteDir, serviceId });

    const second = await startLifeboat('serve', env);
    try {
      const backup = await waitForBackup(apiClient(second.url, token), backupId);
      expect(backup.status, second.output()).toBe('succeeded');
    } finally {
      await second.stop();
      await rm(pgliteDir, { recursive: true, force: true });
    }
  });
});
