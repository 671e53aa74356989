import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type apiClient, type LifeboatProcess, ownedProject, registerService, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { adminQuery, createTestDatabase, postgresUrl, seedVariedContent, type TestDatabase } from '../support/postgres.js';

/** Restore drills through the real `lifeboat serve`, with the machine's PostgreSQL as verification server. */
describe('restore drills (verification)', () => {
  let source: TestDatabase;
  let dataDir: string;
  let lifeboat: LifeboatProcess;
  let api: ReturnType<typeof apiClient>;
  let serviceId: string;

  beforeAll(async () => {
    source = await createTestDatabase('verify_e2e');
    await seedVariedContent(source);
    dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-verify-e2e-'));
    await seedPlatformDatabase(dataDir);
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: dataDir, LIFEBOAT_VERIFY_DATABASE_URL: postgresUrl('postgres') });
    const project = await ownedProject(lifeboat, 'drills');
    api = project.api;
    serviceId = await registerService(api, project.projectId, { name: 'drilled', database: source.name });
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await source?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function verified(backupId: string) {
    const requested = await api('POST', `/v1/backups/${backupId}/verify`);
    expect(requested.status).toBe(202);
    expect(requested.body.verification.status).toBe('pending');
    const deadline = Date.now() + 60_000;
    for (;;) {
      // A read that waits for the verdict (the CLI's `backups verify --wait`).
      const { body } = await api('GET', `/v1/backups/${backupId}?waitSeconds=20&waitFor=verification`);
      if (body.verification?.status !== 'pending') return body.verification;
      if (Date.now() > deadline) throw new Error('the drill did not finish');
    }
  }

  it('passes on a good backup, checking every table, and leaves no scratch database', async () => {
    const backup = await waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
    const verification = await verified(backup.id);
    expect(verification).toMatchObject({ status: 'passed', details: { problems: [] } });
    expect(verification.details.tables.map((table: { name: string; expected: number; actual: number }) => [table.name, table.expected, table.actual])).toEqual([
      ['Artikel', 300, 300],
      ['accounts', 500, 500],
      ['invoices', 2000, 2000],
    ]);
    expect((await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE 'lifeboat_drill_%'`)).rows).toEqual([]);
  });

  it('fails when the recorded counts do not match what restores, and says so in the audit log', async () => {
    const backup = await waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
    const key = `projects/${backup.projectId}/services/${serviceId}/backups/${backup.id}/manifest.json`;
    const path = join(dataDir, 'artifacts', ...key.split('/'));
    const manifest = JSON.parse(await readFile(path, 'utf8'));
    manifest.contents.tables.find((table: { name: string }) => table.name === 'accounts').rows = 499;
    await writeFile(path, JSON.stringify(manifest));
    const verification = await verified(backup.id);
    expect(verification.status).toBe('failed');
    expect(verification.details.problems).toEqual(['billing.accounts has 500 rows; the backup recorded 499']);
    const audit = await api('GET', `/v1/audit?targetId=${backup.id}&action=backup.verification_failed`);
    expect(audit.body.entries).toHaveLength(1);
  });

  it('fails a drill of a damaged artifact without restoring it', async () => {
    const backup = await waitForBackup(api, (await api('POST', `/v1/services/${serviceId}/backups`)).body.id);
    const path = join(dataDir, 'artifacts', 'projects', backup.projectId, 'services', serviceId, 'backups', backup.id, 'backup.dump');
    const bytes = await readFile(path);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await writeFile(path, bytes);
    const verification = await verified(backup.id);
    expect(verification.status).toBe('failed');
    expect(verification.details.problems[0]).toContain('does not match its record');
  });
});
