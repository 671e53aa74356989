import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseState, postgresHost, postgresPort, postgresUrl, postgresUser, seedVariedContent, type TestDatabase } from '../../../test/support/postgres.js';
import { artifactPrefixOf, type CheckJobSpec, type RestoreJobSpec } from '../../contracts/index.js';
import { FilesystemStore } from '../../storage/fs.js';
import { runBackup } from './backup.js';
import { runCheck } from './check.js';
import { runRestore } from './restore.js';

const logger = pino({ level: 'silent' });

/** In place, the database afterwards equals the backup: what was made after it is dropped, in the restore's one transaction. */
describe('in-place restore drops what the backup does not hold', () => {
  let source: TestDatabase;
  let work: string;
  let store: FilesystemStore;
  let artifact: { key: string; sizeBytes: number; sha256: string };
  const deps = () => ({ password: undefined, store, env: { PATH: process.env.PATH }, signal: new AbortController().signal, logger });
  const connection = () => ({ host: postgresHost, port: postgresPort, database: source.name, user: postgresUser });
  const restore = (over: Partial<RestoreJobSpec> = {}) =>
    runRestore({ kind: 'restore', jobId: 'job_r', restoreId: 'rst_r', engine: 'postgresql', connection: connection(), artifact, target: { kind: 'in_place' }, lockWaitTimeoutSeconds: 300, ...over }, { ...deps(), workDir: work });
  const plan = () =>
    runCheck({ kind: 'check', jobId: 'job_c', checkId: 'chk_c', engine: 'postgresql', connection: connection(), lockWaitTimeoutSeconds: 300, restorePlan: { artifact, keep: [] } } satisfies CheckJobSpec, deps());
  const names = async (sql: string) => (await source.query(sql)).rows.map((row) => Object.values(row).join(' '));
  const objects = () =>
    names(`SELECT c.relkind::text, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relkind IN ('r', 'v', 'm', 'S') ORDER BY 2, 3`);

  beforeAll(async () => {
    source = await createTestDatabase('in_place_drops');
    await seedVariedContent(source);
    work = await mkdtemp(join(tmpdir(), 'lifeboat-in-place-'));
    store = new FilesystemStore(join(work, 'store'));
    const ids = { projectId: 'prj_i', serviceId: 'svc_i', backupId: 'bkp_i' };
    const report = await runBackup({ kind: 'backup', jobId: 'job_b', engine: 'postgresql', connection: connection(), artifactPrefix: artifactPrefixOf(ids), lockWaitTimeoutSeconds: 300, ...ids }, deps());
    if (report.outcome !== 'succeeded') throw new Error(JSON.stringify(report));
    artifact = report.artifact;
  });
  afterAll(async () => {
    await source?.drop();
    await rm(work, { recursive: true, force: true });
  });

  it('says what it would drop, drops exactly that, and leaves the data equal to the backup', async () => {
    const before = await databaseState(source);
    const objectsBefore = await objects();
    await source.query(`
      CREATE TABLE billing.audit (id int REFERENCES billing.accounts(id), note text);
      INSERT INTO billing.audit SELECT g, 'x' FROM generate_series(1, 10) g;
      CREATE VIEW public.recent AS SELECT * FROM billing.audit;
      CREATE SCHEMA "Neu"; CREATE TABLE "Neu"."Tabelle" (x serial);
      CREATE TYPE public.mood AS ENUM ('ok');
      CREATE FUNCTION public.twice(n int) RETURNS int LANGUAGE sql AS 'SELECT 2 * n';
      SELECT lo_from_bytea(0, 'new');
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      DELETE FROM billing.invoices WHERE id > 10;
    `);
    const planned = await plan();
    expect(planned).toMatchObject({ outcome: 'succeeded' });
    const drops = planned.outcome === 'succeeded' ? planned.drops : undefined;
    const expected = ['view public recent', 'table Neu Tabelle', 'table billing audit', 'function public twice(integer)', 'type public mood', 'schema - Neu'];
    const described = (list: { kind: string; schema: string | null; name: string }[]) => list.filter((o) => o.kind !== 'large_object').map((o) => `${o.kind} ${o.schema ?? '-'} ${o.name}`);
    expect(new Set(described(drops!.objects))).toEqual(new Set(expected));
    expect(drops!.objects.filter((o) => o.kind === 'large_object')).toHaveLength(1);

    const report = await restore();
    expect(report).toMatchObject({ outcome: 'succeeded', dropped: { total: drops!.total } });
    expect(report.outcome === 'succeeded' && report.dropped?.objects).toEqual(drops!.objects);
    expect(await objects()).toEqual(objectsBefore);
    expect(await databaseState(source)).toEqual(before);
    expect(await names(`SELECT count(*) FROM pg_largeobject_metadata`)).toEqual(['1']);
    expect(await names(`SELECT count(*) FROM pg_namespace WHERE nspname = 'Neu'`)).toEqual(['0']);
    expect(await names(`SELECT count(*) FROM pg_type WHERE typname = 'mood'`)).toEqual(['0']);
    expect(await names(`SELECT count(*) FROM pg_proc WHERE proname = 'twice'`)).toEqual(['0']);
    // An extension is an administrator's: it and its functions stay.
    expect(await names(`SELECT extname FROM pg_extension WHERE extname IN ('pg_trgm', 'citext') ORDER BY 1`)).toEqual(['citext', 'pg_trgm']);
    expect(await names(`SELECT count(*) > 0 FROM pg_proc WHERE proname = 'similarity'`)).toEqual(['true']);
  });

  it('drops nothing when the database holds nothing new', async () => {
    expect(await plan()).toMatchObject({ outcome: 'succeeded', drops: { total: 0, objects: [] } });
    expect(await restore()).toMatchObject({ outcome: 'succeeded', dropped: { total: 0 } });
  });

  it('leaves the database exactly as it was when the restore fails after dropping', async () => {
    await source.query(`CREATE TABLE public.later (id int); INSERT INTO public.later VALUES (1), (2)`);
    await source.query(`UPDATE billing.accounts SET name = 'changed' WHERE id = 1`);
    const before = await databaseState(source);
    // Another session holds a lock the restore needs: it drops public.later first, then waits
    // on billing.accounts until its lock timeout ends the transaction.
    const holder = new pg.Client({ connectionString: postgresUrl(source.name) });
    holder.on('error', () => undefined);
    await holder.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE billing.accounts IN ACCESS SHARE MODE');
      const report = await restore({ lockWaitTimeoutSeconds: 1 });
      expect(report).toMatchObject({ outcome: 'failed', failure: { code: 'lock_timeout' } });
    } finally {
      await holder.end();
    }
    expect(await databaseState(source)).toEqual(before);
    expect(await names(`SELECT count(*) FROM public.later`)).toEqual(['2']);
  });
});
