import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPasswordPostgres, freePort, type PasswordPostgres } from '../../../test/support/password-postgres.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUrl, postgresUser, seedSampleData, tableFingerprints, type TestDatabase } from '../../../test/support/postgres.js';
import { artifactPrefixOf, type BackupJobSpec, type Connection } from '../../contracts/index.js';
import { FilesystemStore } from '../../storage/fs.js';
import { askPgDumpVersionAhead, runBackup } from './backup.js';

const run = promisify(execFile);

/** The agent against the real pg_dump and real PostgreSQL servers: one that trusts, one that checks passwords. */
describe('agent backup', () => {
  let source: TestDatabase;
  let secured: PasswordPostgres;
  let work: string;
  let store: FilesystemStore;
  const logLines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );

  beforeAll(async () => {
    [source, secured] = await Promise.all([createTestDatabase('agent_source'), startPasswordPostgres()]);
    await seedSampleData(source, 3000);
    work = await mkdtemp(join(tmpdir(), 'lifeboat-agent-'));
    store = new FilesystemStore(join(work, 'store'));
  });
  afterAll(async () => {
    await source?.drop();
    await secured?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  let counter = 0;
  function specFor(connection: Connection): BackupJobSpec {
    counter++;
    const ids = { projectId: 'prj_agent', serviceId: 'svc_agent', backupId: `bkp_agent${counter}` };
    return { kind: 'backup', jobId: `job_${counter}`, engine: 'postgresql', connection, artifactPrefix: artifactPrefixOf(ids), lockWaitTimeoutSeconds: 300, ...ids };
  }
  const backup = (spec: BackupJobSpec, over: { password?: string; path?: string; signal?: AbortSignal } = {}) =>
    runBackup(spec, { password: over.password, store, env: { PATH: over.path ?? process.env.PATH }, signal: over.signal ?? new AbortController().signal, logger });
  const stored = async (spec: BackupJobSpec) => {
    const keys: string[] = [];
    for await (const object of store.list(spec.artifactPrefix)) keys.push(object.key);
    return keys;
  };
  const trusted = (): Connection => ({ host: postgresHost, port: postgresPort, database: source.name, user: postgresUser });

  /** A directory to put first on PATH, holding a `pg_dump` script. */
  async function fakePgDump(script: string): Promise<string> {
    const dir = await mkdtemp(join(work, 'bin-'));
    await writeFile(join(dir, 'pg_dump'), `#!/bin/sh\n${script}\n`);
    await chmod(join(dir, 'pg_dump'), 0o755);
    return `${dir}:${process.env.PATH}`;
  }

  it('streams a restorable dump into storage with its checksum and manifest', async () => {
    const spec = specFor(trusted());
    const report = await backup(spec);
    if (report.outcome !== 'succeeded') throw new Error(JSON.stringify(report));
    const file = join(work, 'store', ...report.artifact.key.split('/'));
    const bytes = await readFile(file);
    expect(report.artifact.sizeBytes).toBe(bytes.length);
    expect(report.artifact.sha256).toBe((await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'));
    expect(report.serverVersion).toMatch(/^\d+\.\d+/);
    const manifest = JSON.parse(await readFile(join(work, 'store', ...report.artifact.manifestKey.split('/')), 'utf8'));
    expect(manifest).toMatchObject({ formatVersion: 1, format: 'pg_dump-custom', backupId: spec.backupId, artifact: { sizeBytes: bytes.length, sha256: report.artifact.sha256 } });
    expect((await stored(spec)).sort()).toEqual([report.artifact.key, report.artifact.manifestKey].sort());

    const restored = await createTestDatabase('agent_restored');
    try {
      await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', postgresUrl(restored.name), file]);
      expect(await tableFingerprints(restored)).toEqual(await tableFingerprints(source));
    } finally {
      await restored.drop();
    }
  });

  it('counts rows in the snapshot it dumps, whatever is written meanwhile', async () => {
    // pg_dump starts (after the snapshot is exported) and waits a second; rows inserted in that
    // second are in neither the dump nor the counts.
    const started = join(work, 'pg-dump-started');
    const path = await fakePgDump(`[ "$1" = "--version" ] || { touch ${started}; sleep 1; }\nPATH=${process.env.PATH} exec pg_dump "$@"`);
    const spec = specFor(trusted());
    const pending = backup(spec, { path });
    while (!existsSync(started)) await new Promise((resolve) => setTimeout(resolve, 20));
    await source.query("INSERT INTO customers(name, email) SELECT 'late ' || g, 'late' || g || '@example.com' FROM generate_series(1, 250) g");
    const report = await pending;
    if (report.outcome !== 'succeeded' || !report.contents) throw new Error(JSON.stringify(report));
    const counted = Object.fromEntries(report.contents.tables.map((table) => [`${table.schema}.${table.name}`, table.rows]));
    expect(counted['public.customers']).toBe(3000);
    expect((await source.query('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(3250);
    expect(report.contents.schemas).toContain('public');
    expect(report.contents.extensions.map((extension) => extension.name)).toContain('plpgsql');

    const restored = await createTestDatabase('agent_snapshot');
    try {
      await run('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', postgresUrl(restored.name), join(work, 'store', ...report.artifact.key.split('/'))]);
      for (const [table, rows] of Object.entries(counted)) {
        expect((await restored.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n, table).toBe(rows);
      }
    } finally {
      await restored.drop();
      await source.query("DELETE FROM customers WHERE name LIKE 'late %'");
    }
  });

  it('asks pg_dump its version once when asked ahead (a standby agent), and again after a failed ask', async () => {
    const record = join(work, 'version-calls');
    const path = await fakePgDump(`[ "$1" = "--version" ] && echo asked >> ${record}\nPATH=${process.env.PATH} exec pg_dump "$@"`);
    askPgDumpVersionAhead({ PATH: path });
    expect((await backup(specFor(trusted()), { path })).outcome).toBe('succeeded');
    expect((await readFile(record, 'utf8')).trim().split('\n')).toEqual(['asked']);

    // Not there yet when asked ahead: the job asks again and finds it.
    const later = await mkdtemp(join(work, 'bin-'));
    askPgDumpVersionAhead({ PATH: later });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await writeFile(join(later, 'pg_dump'), `#!/bin/sh\nPATH=${process.env.PATH} exec pg_dump "$@"\n`);
    await chmod(join(later, 'pg_dump'), 0o755);
    expect((await backup(specFor(trusted()), { path: later })).outcome).toBe('succeeded');
  });

  it('starts pg_dump through stdbuf with a 1 MiB output buffer where stdbuf is on PATH, as it is where not', async () => {
    const record = join(work, 'stdbuf-calls');
    const script = `[ "$1" = "--version" ] || echo "buffer=$_STDBUF_O" >> ${record}\nPATH=${process.env.PATH} exec pg_dump "$@"`;
    const withStdbuf = await fakePgDump(script);
    expect((await backup(specFor(trusted()), { path: withStdbuf })).outcome).toBe('succeeded');
    // Only the fake pg_dump on PATH: no stdbuf to be found.
    const withoutStdbuf = (await fakePgDump(script)).split(':')[0]!;
    expect((await backup(specFor(trusted()), { path: withoutStdbuf })).outcome).toBe('succeeded');
    expect((await readFile(record, 'utf8')).trim().split('\n')).toEqual(['buffer=1048576', 'buffer=']);
  });

  it('passes the password to pg_dump through its environment, never its arguments', async () => {
    const record = join(work, 'pg_dump-call');
    const path = await fakePgDump(`echo "$*" >> ${record}; echo "PGPASSWORD=$PGPASSWORD" >> ${record}; PATH=${process.env.PATH} exec pg_dump "$@"`);
    const spec = specFor({ host: secured.host, port: secured.port, database: secured.database, user: secured.user });
    const report = await backup(spec, { password: secured.password, path });
    expect(report.outcome).toBe('succeeded');
    const calls = await readFile(record, 'utf8');
    const dumpCall = calls.split('\n').find((line) => line.includes('--format=custom'));
    expect(dumpCall).toBeDefined();
    expect(dumpCall).not.toContain(secured.password);
    expect(calls).toContain(`PGPASSWORD=${secured.password}`);
  });

  it('fails with auth_failed on a wrong password, saying what to check and never echoing it', async () => {
    const spec = specFor({ host: secured.host, port: secured.port, database: secured.database, user: secured.user });
    const wrong = 'wrong-password-1234';
    const report = await backup(spec, { password: wrong });
    expect(report).toEqual({
      outcome: 'failed',
      failure: { code: 'auth_failed', message: `password authentication failed for user "app" at 127.0.0.1:${secured.port}; check the service's user and password` },
    });
    expect(await stored(spec)).toEqual([]);
    expect(logLines.join('')).not.toContain(wrong);
    expect(logLines.join('')).not.toContain(secured.password);
  });

  it('names the failure when nothing listens, the host does not exist, or the database does not', async () => {
    const cases: [Connection, string][] = [
      [{ ...trusted(), port: await freePort() }, 'connection_refused'],
      [{ ...trusted(), host: 'no-such-host.invalid' }, 'host_not_found'],
      [{ ...trusted(), database: 'no_such_database' }, 'database_not_found'],
    ];
    for (const [connection, code] of cases) {
      const spec = specFor(connection);
      const report = await backup(spec);
      expect(report.outcome === 'failed' && report.failure.code, JSON.stringify(report)).toBe(code);
      expect(await stored(spec)).toEqual([]);
    }
  });

  it('refuses a pg_dump older than the server, naming both versions', async () => {
    const path = await fakePgDump('echo "pg_dump (PostgreSQL) 9.6.24"');
    const spec = specFor(trusted());
    const report = await backup(spec, { path });
    if (report.outcome !== 'failed') throw new Error(JSON.stringify(report));
    expect(report.failure.code).toBe('dump_tool_version_mismatch');
    expect(report.failure.message).toMatch(/^pg_dump 9\.6 is older than the server \(PostgreSQL 15\.\d+\); the agent needs pg_dump 15 or newer$/);
    expect(await stored(spec)).toEqual([]);
  });

  it('reports dump_tool_not_found when there is no pg_dump', async () => {
    const report = await backup(specFor(trusted()), { path: '/nonexistent' });
    expect(report.outcome === 'failed' && report.failure.code).toBe('dump_tool_not_found');
  });

  it('removes what it wrote when pg_dump dies midway', async () => {
    const path = await fakePgDump('case "$1" in --version) echo "pg_dump (PostgreSQL) 15.1";; *) head -c 200000 /dev/zero; echo "pg_dump: error: out of memory" >&2; exit 1;; esac');
    const spec = specFor(trusted());
    const report = await backup(spec, { path });
    expect(report).toMatchObject({ outcome: 'failed', failure: { code: 'dump_failed' } });
    expect(report.outcome === 'failed' && report.failure.message).toContain('out of memory');
    expect(await stored(spec)).toEqual([]);
  });

  it('cancels mid-stream, stopping pg_dump and leaving nothing behind', async () => {
    // A pg_dump that streams slowly for a minute: the cancel must not wait for it.
    const path = await fakePgDump('case "$1" in --version) echo "pg_dump (PostgreSQL) 15.1";; *) for i in $(seq 600); do head -c 65536 /dev/urandom; sleep 0.1; done;; esac');
    const spec = specFor(trusted());
    const controller = new AbortController();
    let written = 0;
    const started = Date.now();
    const pending = runBackup(spec, {
      password: undefined,
      store,
      env: { PATH: path },
      signal: controller.signal,
      logger,
      onProgress: ({ bytesWritten: bytes }) => {
        written = bytes;
        if (bytes > 500_000) controller.abort();
      },
    });
    expect(await pending).toEqual({ outcome: 'canceled' });
    expect(written).toBeGreaterThan(500_000);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await stored(spec)).toEqual([]);
    const { stdout } = await run('find', [join(work, 'store'), '-name', '*.partial-*']);
    expect(stdout).toBe('');
  });
});
