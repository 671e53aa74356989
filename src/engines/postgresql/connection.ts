import type pg from 'pg';
import { JobFailure } from '../../agent/job-failure.js';
import type { PinnedTarget } from '../../agent/pinned-target.js';

/**
 * The one way a PostgreSQL connection reaches anything that connects: the pre-flight session
 * (`pg`), `pg_dump` and `pg_restore`. Every value is passed so that it is taken literally, and all
 * of them connect to one address resolved once, so what the pre-flight checked is what the tools
 * reach.
 */

/** A value of a libpq connection string, quoted: inside quotes only `\` and `'` are special. */
function quoted(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * The `--dbname` a libpq tool is given: a connection string of quoted values, so no value can
 * add a keyword. `hostaddr` is the pinned address (no second DNS answer); `host` stays the name,
 * for TLS and for the tool's messages. `database` overrides the target's own (a new database,
 * a restore drill's scratch database).
 */
export function libpqConnectionString(target: PinnedTarget, database: string = target.database): string {
  const host = target.host.replace(/^\[(.*)\]$/, '$1');
  return [
    `host=${quoted(host)}`,
    `hostaddr=${quoted(target.address)}`,
    `port=${quoted(String(target.port))}`,
    `dbname=${quoted(database)}`,
    `user=${quoted(target.user)}`,
  ].join(' ');
}

// A path that never exists (a file under /dev/null): libpq then finds no such file and goes on.
const nowhere = '/dev/null/lifeboat-none';

/**
 * The libpq settings a tool gets beside its `--dbname`. The password comes only from the job;
 * no password file, client certificate or service file of the agent's own user is read (the
 * job's target is the user's choice, the files are the platform's). `options` go to the server.
 */
export function libpqEnvironment(settings: { password: string | undefined; applicationName: string; serverOptions?: string }): Record<string, string> {
  return {
    ...(settings.password ? { PGPASSWORD: settings.password } : {}),
    PGPASSFILE: nowhere,
    PGSSLCERT: nowhere,
    PGSSLKEY: nowhere,
    PGSERVICEFILE: nowhere,
    PGSYSCONFDIR: nowhere,
    PGCONNECT_TIMEOUT: '10',
    PGAPPNAME: settings.applicationName,
    ...(settings.serverOptions ? { PGOPTIONS: settings.serverOptions } : {}),
  };
}

/**
 * The `pg` client's settings for the same target: the pinned address, values as they are (`pg`
 * sends them as startup parameters, never parses them). The password is a function so that an
 * empty one never makes `pg` read the agent user's ~/.pgpass.
 */
export function pgClientConfig(target: PinnedTarget, password: string | undefined, applicationName: string, database: string = target.database): pg.ClientConfig {
  return {
    host: target.address,
    port: target.port,
    database,
    user: target.user,
    password: () => password ?? '',
    connectionTimeoutMillis: 10_000,
    application_name: applicationName,
  };
}

/** What a session is connected to, asked of the server itself. */
export interface ConnectedIdentity {
  database: string;
  user: string;
  serverAddress: string | null;
  serverPort: number | null;
}

export async function identityOf(client: pg.Client): Promise<ConnectedIdentity> {
  const { rows } = await client.query<{ database: string; user: string; address: string | null; port: number | null }>(
    'select current_database() as database, session_user as user, host(inet_server_addr()) as address, inet_server_port() as port',
  );
  const row = rows[0]!;
  return { database: row.database, user: row.user, serverAddress: row.address, serverPort: row.port };
}

/**
 * Throws `target_mismatch` unless the server says it is the database and user the job was given:
 * checked before anything is read or overwritten.
 */
export function checkIdentity(target: PinnedTarget, identity: ConnectedIdentity, database: string = target.database): void {
  if (identity.database === database && identity.user === target.user) return;
  throw new JobFailure({
    code: 'target_mismatch',
    message: `the server at ${target.host}:${target.port} answered as database "${identity.database}" and user "${identity.user}", not "${database}" and "${target.user}"; nothing was done`,
  });
}
