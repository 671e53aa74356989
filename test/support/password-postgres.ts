import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/**
 * A private PostgreSQL cluster that checks passwords (scram-sha-256), for the tests that need
 * a wrong password to fail: the machine's own cluster trusts every local connection. `initdb`
 * refuses to run as root, so the cluster belongs to the `postgres` user.
 */
export interface PasswordPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** The cluster's superuser, for a platform database or setup. */
  superuser: { user: string; password: string };
  /** postgres:// URL of a database, as the superuser. */
  superuserUrl(database: string): string;
  /** Stops the server (immediately, like a crash) and starts it again on the same port. */
  restart(options?: { downForMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export async function startPasswordPostgres(): Promise<PasswordPostgres> {
  const { stdout } = await run('pg_config', ['--bindir']).catch(() => ({ stdout: '/usr/lib/postgresql/15/bin' }));
  const bin = (name: string) => join(stdout.trim(), name);
  const root = await mkdtemp(join(tmpdir(), 'lifeboat-pwpg-'));
  const postgres = await run('id', ['-u', 'postgres']).then(({ stdout: uid }) => Number(uid.trim()));
  const gid = await run('id', ['-g', 'postgres']).then(({ stdout: id }) => Number(id.trim()));
  await chown(root, postgres, gid);
  const data = join(root, 'data');
  const superPassword = 'super-secret-for-tests';
  const pwfile = join(root, 'pwfile');
  await writeFile(pwfile, superPassword);
  await chown(pwfile, postgres, gid);
  const asPostgres = (command: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', command, ...args]);

  await asPostgres(bin('initdb'), ['-D', data, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const start = () => asPostgres(bin('pg_ctl'), ['-D', data, '-w', '-l', join(root, 'log'), '-o', `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start']);
  await start();

  const user = 'app';
  const password = 'correct-horse-battery';
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: superPassword, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE USER ${user} PASSWORD '${password}'`);
    await admin.query(`CREATE DATABASE appdb OWNER ${user}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'appdb' });
  await client.connect();
  await client.query('CREATE TABLE notes (id serial PRIMARY KEY, body text); INSERT INTO notes (body) SELECT md5(g::text) FROM generate_series(1, 100) g');
  await client.end();

  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database: 'appdb',
    superuser: { user: 'postgres', password: superPassword },
    superuserUrl: (database) => `postgres://postgres:${superPassword}@127.0.0.1:${port}/${database}`,
    async restart(options = {}) {
      await asPostgres(bin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, options.downForMs ?? 0));
      await start();
    },
    async stop() {
      await asPostgres(bin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
