import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Logger } from 'pino';
import { lockDataDir } from './data-dir-lock.js';
import { makeOwnerOnly } from './owner-only.js';
import { preparingPool } from './prepared-statements.js';

// Sizes and counts are int8; both drivers give them back as plain numbers (PGlite does so when
// the value is a safe integer, which byte counts are).
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * The platform database: PGlite in the data dir, or PostgreSQL. Each half of Lifeboat views it
 * through its own schema (see `schemaView`), and the SQL is the same on both.
 */
export interface PlatformDatabase {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Kysely<unknown>;
  /**
   * Calls `onNotify` with the payload of every NOTIFY on `channel` until the returned function is
   * called; with '' also after (re)connecting, when notifications may have been missed.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /**
   * Sends a NOTIFY on `channel` in a statement of its own: call it once the write it announces
   * has committed. A NOTIFY inside a writing transaction takes a cluster-wide lock that it holds
   * through the commit's flush to disk, so such commits wait for one another (BENCHMARKS.md,
   * control plane). Calls made while one is on its way are folded into one more; a failure only
   * leaves the listeners to their next poll.
   */
  notify(channel: string): void;
  /** Rejects if the database cannot answer a query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openPlatformDatabase(options: {
  url: string | undefined;
  dataDir: string;
  logger: Logger;
}): Promise<PlatformDatabase> {
  return options.url ? openPostgres(options.url, options.logger) : openPGlite(pgliteDirectoryIn(options.dataDir), options.dataDir);
}

/** Where the embedded platform database lives inside a data dir. */
export function pgliteDirectoryIn(dataDir: string): string {
  return join(dataDir, 'platform-db');
}

/** A typed view of one schema of the platform database. */
export function schemaView<Tables>(database: PlatformDatabase, schema: string): Kysely<Tables> {
  return database.db.withSchema(schema) as unknown as Kysely<Tables>;
}

async function openPGlite(directory: string, dataDir: string): Promise<PlatformDatabase> {
  const lock = await lockDataDir(dataDir);
  try {
    await mkdir(directory, { recursive: true });
    const client = await PGlite.create(directory);
    await makeOwnerOnly(directory);
    const db = new Kysely<unknown>({ dialect: new PGliteDialect(client) });
    return {
      kind: 'pglite',
      db,
      notify: notifier(db),
      async listen(channel, onNotify) {
        const unlisten = await client.listen(channel, (payload) => onNotify(payload));
        return async () => unlisten();
      },
      async ping() {
        await sql`select 1`.execute(db);
      },
      async close() {
        await db.destroy();
        await lock.release();
      },
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function openPostgres(url: string, logger: Logger): Promise<PlatformDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // pg-pool listens for a connection's errors only while it is idle; one lent out (to a query or
  // a transaction) that loses its server emits `error` with nobody listening, which would crash
  // the process on a PostgreSQL restart. Every connection gets a listener of its own: what was
  // running on it fails with the error, and the pool drops the connection when it comes back.
  pool.on('connect', (client) => client.on('error', (error) => logger.warn({ err: error }, 'a platform database connection failed')));
  // The pool passes on the errors of idle connections too; logged above already.
  pool.on('error', () => undefined);
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  await sql`select 1`.execute(db);
  const listeners = new Set<ListenerConnection>();
  return {
    kind: 'postgres',
    db,
    notify: notifier(db, logger),
    async listen(channel, onNotify) {
      const listener = new ListenerConnection(url, channel, onNotify, logger);
      listeners.add(listener);
      await listener.start();
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await Promise.all([...listeners].map((listener) => listener.stop()));
      await db.destroy();
    },
  };
}

function notifier(db: Kysely<unknown>, logger?: Logger): (channel: string) => void {
  const sending = new Map<string, { again: boolean }>();
  const send = (channel: string) => {
    const state = { again: false };
    sending.set(channel, state);
    sql`select pg_notify(${channel}, '')`
      .execute(db)
      .catch((error: unknown) => logger?.debug({ err: error, channel }, 'NOTIFY failed; listeners will poll'))
      .finally(() => {
        sending.delete(channel);
        if (state.again) send(channel);
      });
  };
  return (channel) => {
    const inFlight = sending.get(channel);
    if (inFlight) inFlight.again = true;
    else send(channel);
  };
}

/**
 * A dedicated connection for LISTEN that reconnects after a failure. Notifications only wake
 * pollers early, so a gap while reconnecting costs latency, never correctness.
 */
class ListenerConnection {
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onNotify: (payload: string) => void,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (notification) => this.onNotify(notification.payload ?? ''));
    client.on('error', (error) => {
      this.logger.warn({ err: error, channel: this.channel }, 'LISTEN connection lost; reconnecting');
      this.scheduleReconnect();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
      this.client = client;
      // Whatever was notified while we were away is picked up by the callers' next poll; wake them now.
      this.onNotify('');
    } catch (error) {
      await client.end().catch(() => undefined);
      if (this.retry === undefined) throw error;
    }
  }

  private scheduleReconnect(): void {
    void this.client?.end().catch(() => undefined);
    this.client = undefined;
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) this.start().catch(() => this.scheduleReconnect());
    }, 1000);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }
}
