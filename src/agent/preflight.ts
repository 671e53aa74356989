import pg from 'pg';
import type { Connection } from '../contracts/index.js';
import { BackupFailure } from './backup-failure.js';
import { serverMajorOf } from './pg-dump.js';
import { failureFromClientError } from './postgres-failures.js';

/**
 * Connects once before dumping, to learn the server's version (for the pg_dump check) and to
 * turn a bad password, host or database name into a precise failure: `pg` reports these with
 * codes, where pg_dump only prints text.
 */
export async function readServerVersion(connection: Connection, password: string | undefined, timeoutMs = 10_000): Promise<{ major: number; text: string }> {
  const client = new pg.Client({
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password,
    connectionTimeoutMillis: timeoutMs,
    application_name: 'lifeboat-backup',
  });
  // An error after connect (the server going away) must not crash the agent as an unhandled event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ num: string; text: string }>(
      "select current_setting('server_version_num') as num, current_setting('server_version') as text",
    );
    const row = rows[0];
    if (!row) throw new Error('the server did not report its version');
    return { major: serverMajorOf(Number(row.num)), text: row.text.split(' ')[0] ?? row.text };
  } catch (error) {
    throw new BackupFailure(failureFromClientError(error, connection), { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}
