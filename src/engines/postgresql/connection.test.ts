import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPasswordPostgres, type PasswordPostgres } from '../../../test/support/password-postgres.js';
import { adminQuery, createTestDatabase, postgresHost, postgresPort, postgresUser, queryDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { checkIdentity, identityOf, libpqConnectionString, libpqEnvironment, pgClientConfig } from './connection.js';
import { pinTarget } from '../../agent/pinned-target.js';

const run = promisify(execFile);

/** `pg_dump --schema-only` of what `dbnameArgument` reaches, with only the given environment. */
async function schemaOf(dbnameArgument: string, env: Record<string, string>, extraArgs: string[] = []): Promise<string> {
  const { stdout } = await run('pg_dump', ['--schema-only', '--no-password', ...extraArgs, `--dbname=${dbnameArgument}`], { env: { PATH: process.env.PATH ?? '', ...env } });
  return stdout;
}

describe('the PostgreSQL connection builder, against real pg_dump and a real server', () => {
  let victim: TestDatabase;
  let hostileName: string;

  beforeAll(async () => {
    victim = await createTestDatabase('victim');
    await victim.query('CREATE TABLE victim_secrets (id int)');
    // A real database whose name is the injection from the report: libpq would read it as settings.
    hostileName = `dbname=${victim.name} host=${postgresHost} x'y\\z`;
    await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(hostileName)}`);
    await queryDatabase(hostileName, 'CREATE TABLE own_table (id int)');
  });
  afterAll(async () => {
    await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(hostileName)} WITH (FORCE)`);
    await victim?.drop();
  });

  it('shows the hole it closes: a bare --dbname with "=" reaches the database named inside it', async () => {
    const schema = await schemaOf(hostileName.replace(/ x'y\\z$/, ''), {}, [`--host=${postgresHost}`, `--port=${postgresPort}`, `--username=${postgresUser}`]);
    expect(schema).toContain('victim_secrets');
  });

  it('makes pg_dump take every value literally: the database with that name, not the one named in it', async () => {
    const target = { host: postgresHost, address: postgresHost, port: postgresPort, database: hostileName, user: postgresUser };
    const schema = await schemaOf(libpqConnectionString(target), libpqEnvironment({ password: undefined, applicationName: 'test' }));
    expect(schema).toContain('own_table');
    expect(schema).not.toContain('victim_secrets');
  });

  it('gives the pre-flight session the same literal target, and reads back who it reached', async () => {
    const target = { host: 'localhost', address: postgresHost, port: postgresPort, database: hostileName, user: postgresUser };
    const client = new pg.Client(pgClientConfig(target, undefined, 'test'));
    await client.connect();
    try {
      const identity = await identityOf(client);
      expect(identity).toMatchObject({ database: hostileName, user: postgresUser, serverPort: postgresPort });
      expect(() => checkIdentity(target, identity)).not.toThrow();
      expect(() => checkIdentity({ ...target, database: victim.name }, identity)).toThrow(/answered as database/);
    } finally {
      await client.end();
    }
  });

  it('pins a host to one address, and refuses a connection the shared rule refuses before resolving anything', async () => {
    const pinned = await pinTarget({ host: 'localhost', port: 5432, database: 'shop', user: 'app' });
    expect(['127.0.0.1', '::1']).toContain(pinned.address);
    expect((await pinTarget({ host: '[::1]', port: 5432, database: 'shop', user: 'app' })).address).toBe('::1');
    let asked = false;
    const resolve = async () => ((asked = true), '10.0.0.1');
    await expect(pinTarget({ host: 'db', port: 5432, database: hostileName, user: 'app' }, resolve)).rejects.toMatchObject({ failure: { code: 'target_not_allowed' } });
    await expect(pinTarget({ host: '/var/run/postgresql', port: 5432, database: 'shop', user: 'app' }, resolve)).rejects.toMatchObject({ failure: { code: 'target_not_allowed' } });
    expect(asked).toBe(false);
    await expect(pinTarget({ host: 'no-such-host.invalid', port: 5432, database: 'shop', user: 'app' })).rejects.toMatchObject({ failure: { code: 'host_not_found' } });
  });
});

describe('credentials of the agent user are never used for a service', () => {
  let server: PasswordPostgres;
  let home: string;

  beforeAll(async () => {
    server = await startPasswordPostgres();
    home = await mkdtemp(join(tmpdir(), 'lifeboat-home-'));
    // The agent user's own password file knows the server: a service given no password must not use it.
    await writeFile(join(home, '.pgpass'), `*:*:*:*:${server.password}\n`);
    await chmod(join(home, '.pgpass'), 0o600);
  });
  afterAll(async () => {
    await server?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const target = () => ({ host: server.host, address: server.host, port: server.port, database: server.database, user: server.user });

  it('pg_dump reads no ~/.pgpass (without the builder it would, and succeed)', async () => {
    await expect(schemaOf(libpqConnectionString(target()), { HOME: home, PGPASSFILE: join(home, '.pgpass') })).resolves.toContain('notes');
    await expect(schemaOf(libpqConnectionString(target()), { HOME: home, ...libpqEnvironment({ password: undefined, applicationName: 'test' }) })).rejects.toThrow(
      /password|authentication/i,
    );
  });

  it('the pre-flight session reads no password file either', async () => {
    const saved = process.env.PGPASSFILE;
    process.env.PGPASSFILE = join(home, '.pgpass');
    try {
      const control = new pg.Client({ ...pgClientConfig(target(), undefined, 'test'), password: undefined });
      await control.connect();
      await control.end();
      const client = new pg.Client(pgClientConfig(target(), undefined, 'test'));
      await expect(client.connect()).rejects.toThrow(/password/i);
      await client.end().catch(() => undefined);
    } finally {
      if (saved === undefined) delete process.env.PGPASSFILE;
      else process.env.PGPASSFILE = saved;
    }
  });
});
