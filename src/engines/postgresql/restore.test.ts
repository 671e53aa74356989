import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, createTestDatabase, databaseState, postgresHost, postgresPort, postgresUrl, postgresUser, queryDatabase, seedVariedContent, type TestDatabase } from '../../../test/support/postgres.js';
import { artifactPrefixOf, type RestoreJobSpec, type RestoreTarget } from '../../contracts/index.js';
import { FilesystemStore } from '../../storage/fs.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { runBackup } from './backup.js';
import { runRestore } from './restore.js';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });

/** Backups brought back with the real pg_restore: identical schema and data, or nothing touched. */
describe('agent restore', () => {
  let source: TestDatabase;
  let work: string;
  let store: FilesystemStore;
  let artifact: { key: string; sizeBytes: number; sha256: string };
  const created: string[] = [];

  beforeAll(async () => {
    source = await createTestDatabase('restore_source');
    await seedVariedContent(source);
    work = await mkdtemp(join(tmpdir(), 'lifeboat-restore-test-'));
    store = new FilesystemStore(join(work, 'store'));
    const ids = { projectId: 'prj_r', serviceId: 'svc_r', backupId: 'bkp_r' };
    const report = await runBackup(
      { kind: 'backup', jobId: 'job_b', engine: 'postgresql', connection: connectionTo(source.name), artifactPrefix: artifactPrefixOf(ids), lockWaitTimeoutSeconds: 300, ...ids },
      { password: undefined, store, env: { PATH: process.env.PATH }, signal: new AbortController().signal, logger },
    );
    if (report.outcome !== 'succeeded') throw new Error(JSON.stringify(report));
    artifact = report.artifact;
  });
  afterAll(async () => {
    for (const name of created) await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await source?.drop();
    await rm(work, { recursive: true, force: true });
  });

  function connectionTo(database: string) {
    return { host: postgresHost, port: postgresPort, database, user: postgresUser };
  }
  const restore = (target: RestoreTarget, database = source.name, over: Partial<RestoreJobSpec> = {}, from: ObjectStore = store) =>
    runRestore(
      { kind: 'restore', jobId: 'job_r', restoreId: 'rst_r', engine: 'postgresql', connection: connectionTo(database), artifact, target, lockWaitTimeoutSeconds: 300, ...over },
      { password: undefined, store: from, env: { PATH: process.env.PATH }, signal: new AbortController().signal, logger, workDir: work },
    );
  const restoredLikeSource = async (name: string) => {
    const copy = { query: (text: string) => queryDatabase(name, text) };
    expect(await databaseState(copy)).toEqual(await databaseState(source));
  };
  const schemaOf = async (database: string) => {
    const { stdout } = await run('pg_dump', ['--schema-only', '--no-owner', postgresUrl(database)]);
    // Comments and pg_dump's per-run \restrict token are not schema.
    return stdout.replace(/^(--|\\(un)?restrict ).*$/gm, '').replace(/\n{2,}/g, '\n');
  };
  const databaseExists = async (name: string) => (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;

  it('restores into a new database with the same schema and data', async () => {
    const name = `${source.name}_copy`;
    created.push(name);
    expect(await restore({ kind: 'new_database', database: name })).toEqual({ outcome: 'succeeded', database: name });
    expect(await schemaOf(name)).toBe(await schemaOf(source.name));
    await restoredLikeSource(name);
  });

  it('restores from the stored file itself, checked and held open, even when the backup is deleted meanwhile', async () => {
    const key = artifact.key.replace('backup.dump', 'held.dump');
    await store.put(key, await store.get(artifact.key));
    // The filesystem store, except that the object goes away as soon as it is opened (retention
    // deleting the backup mid-restore) and that it cannot be streamed: no copy is made.
    const deletedOnceOpened: ObjectStore = Object.assign(Object.create(store) as FilesystemStore, {
      openFile: async (openedKey: string) => {
        const handle = await store.openFile(openedKey);
        await store.delete(openedKey);
        return handle;
      },
      get: () => Promise.reject(new Error('the restore streamed the artifact instead of using its file')),
    });
    const name = `${source.name}_held`;
    created.push(name);
    expect(await restore({ kind: 'new_database', database: name }, source.name, { artifact: { ...artifact, key } }, deletedOnceOpened)).toEqual({ outcome: 'succeeded', database: name });
    expect(await store.head(key)).toBeNull();
    await restoredLikeSource(name);
  });

  it('restores from a store without local files by a checked download, and leaves no copy behind', async () => {
    // What an S3 store offers a restore: streams, no files.
    const streamsOnly: ObjectStore = { kind: 's3', get: (key, range) => store.get(key, range), put: () => Promise.reject(new Error('read only')), head: (key) => store.head(key), delete: () => Promise.reject(new Error('read only')), deletePrefix: () => Promise.reject(new Error('read only')), list: (prefix) => store.list(prefix) };
    const name = `${source.name}_downloaded`;
    created.push(name);
    expect(await restore({ kind: 'new_database', database: name }, source.name, {}, streamsOnly)).toEqual({ outcome: 'succeeded', database: name });
    await restoredLikeSource(name);
    expect((await readdir(work)).filter((entry) => entry.startsWith('lifeboat-restore-'))).toEqual([]);
  });

  it('refuses a database name that is taken, and leaves it alone', async () => {
    const report = await restore({ kind: 'new_database', database: 'postgres' });
    expect(report).toMatchObject({ outcome: 'failed', failure: { code: 'target_exists' } });
    expect(await databaseExists('postgres')).toBe(true);
  });

  it('restores in place, bringing back the state of the backup', async () => {
    const before = await databaseState(source);
    await source.query(`DELETE FROM billing.invoices WHERE id > 100; UPDATE billing.accounts SET name = 'changed'; DROP VIEW billing.balances; SELECT setval('billing.invoice_numbers', 9999)`);
    expect(await databaseState(source)).not.toEqual(before);
    expect(await restore({ kind: 'in_place' })).toEqual({ outcome: 'succeeded', database: source.name, dropped: { total: 0, objects: [] } });
    expect(await databaseState(source)).toEqual(before);
    expect((await source.query('SELECT count(*)::int AS n FROM billing.balances')).rows[0].n).toBe(500);
  });

  it('finds a corrupted artifact before touching anything', async () => {
    const file = await open(join(work, 'store', ...artifact.key.split('/')), 'r+');
    const original = Buffer.alloc(1);
    await file.read(original, 0, 1, 4000);
    await file.write(Buffer.from([original[0]! ^ 0xff]), 0, 1, 4000);
    try {
      const name = `${source.name}_corrupt`;
      const report = await restore({ kind: 'new_database', database: name });
      expect(report).toMatchObject({ outcome: 'failed', failure: { code: 'checksum_mismatch' } });
      expect(report.outcome === 'failed' && report.failure.message).toContain('nothing was restored');
      expect(await databaseExists(name)).toBe(false);
      // The new database is made while the artifact is checked: one that was there already is
      // not dropped when the check fails.
      const taken = `${source.name}_taken`;
      created.push(taken);
      await adminQuery(`CREATE DATABASE "${taken}"`);
      expect(await restore({ kind: 'new_database', database: taken })).toMatchObject({ outcome: 'failed', failure: { code: 'checksum_mismatch' } });
      expect(await databaseExists(taken)).toBe(true);
      const before = await databaseState(source);
      expect(await restore({ kind: 'in_place' })).toMatchObject({ outcome: 'failed', failure: { code: 'checksum_mismatch' } });
      expect(await databaseState(source)).toEqual(before);
    } finally {
      await file.write(original, 0, 1, 4000);
      await file.close();
    }
  });

  it('reports a missing artifact', async () => {
    const report = await restore({ kind: 'new_database', database: `${source.name}_missing` }, source.name, { artifact: { ...artifact, key: 'projects/x/services/y/backups/z/backup.dump' } });
    expect(report).toMatchObject({ outcome: 'failed', failure: { code: 'artifact_missing' } });
    expect(await databaseExists(`${source.name}_missing`)).toBe(false);
  });
});
