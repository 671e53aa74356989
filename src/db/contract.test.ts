import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestPlatformDatabase, platformKinds, type TestPlatformDatabase } from '../../test/support/platform-db.js';
import { adminQuery } from '../../test/support/postgres.js';
import { isUniqueViolation } from './errors.js';
import { migrateSchema, sqlMigration } from './migrations.js';
import { schemaView } from './platform-database.js';
import { executePrepared, preparedStatement } from './prepared-statements.js';

interface Tables {
  items: { id: number; name: string; claimed_by: string | null };
}

/**
 * What Lifeboat asks of its platform database, on both engines: the same SQL, migrations that
 * apply once, unique violations it can recognise, NOTIFY that reaches listeners, prepared
 * statements, and row locks that SKIP LOCKED honours.
 */
describe.each(platformKinds)('platform database contract: %s', (kind) => {
  let platform: TestPlatformDatabase;
  beforeAll(async () => {
    platform = await openTestPlatformDatabase(kind);
    await migrateSchema(platform.database.db, 'probe', {
      '0001': sqlMigration(
        'CREATE TABLE probe.items (id integer PRIMARY KEY, name text NOT NULL, claimed_by text)',
        'CREATE UNIQUE INDEX items_name ON probe.items (name)',
      ),
    });
  });
  afterAll(async () => platform?.close());
  const db = () => schemaView<Tables>(platform.database, 'probe');

  it('applies migrations once, however often they are run', async () => {
    const migrations = { '0001': sqlMigration('CREATE TABLE probe.items (id integer PRIMARY KEY, name text NOT NULL, claimed_by text)') };
    await migrateSchema(platform.database.db, 'probe', migrations);
    await Promise.all([migrateSchema(platform.database.db, 'probe', migrations), migrateSchema(platform.database.db, 'probe', migrations)]);
    const applied = await sql<{ name: string }>`select name from probe.migrations`.execute(platform.database.db);
    expect(applied.rows.map((row) => row.name)).toEqual(['0001']);
  });

  it('names the constraint a unique violation broke', async () => {
    await db().insertInto('items').values({ id: 1, name: 'one', claimed_by: null }).execute();
    const error = await db()
      .insertInto('items')
      .values({ id: 2, name: 'one', claimed_by: null })
      .execute()
      .catch((caught: unknown) => caught);
    expect(isUniqueViolation(error, 'items_name')).toBe(true);
    expect(isUniqueViolation(error, 'items_pkey')).toBe(false);
  });

  it('rolls a failed transaction back whole', async () => {
    await db()
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('items').values({ id: 10, name: 'ten', claimed_by: null }).execute();
        await trx.insertInto('items').values({ id: 11, name: 'one', claimed_by: null }).execute();
      })
      .catch(() => undefined);
    expect(await db().selectFrom('items').select('id').where('id', '=', 10).executeTakeFirst()).toBeUndefined();
  });

  it('delivers NOTIFY to listeners at commit, not before', async () => {
    let notified = 0;
    const stop = await platform.database.listen('probe_channel', () => notified++);
    // A listener may be woken once on (re)connecting, to catch up on what it missed.
    notified = 0;
    try {
      await db()
        .transaction()
        .execute(async (trx) => {
          await sql`select pg_notify('probe_channel', '')`.execute(trx);
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(notified).toBe(0);
        });
      const deadline = Date.now() + 5000;
      while (notified === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(notified).toBeGreaterThan(0);
    } finally {
      await stop();
    }
  });

  it('sends a NOTIFY of its own, folding the calls made while one is on its way into one more', async () => {
    let notified = 0;
    const stop = await platform.database.listen('probe_folded', () => notified++);
    notified = 0;
    try {
      for (let call = 0; call < 5; call++) platform.database.notify('probe_folded');
      const deadline = Date.now() + 5000;
      while (notified < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The first call's NOTIFY, then one for the four made before it was sent: none is lost, none repeated.
      expect(notified).toBe(2);
    } finally {
      await stop();
    }
  });

  it('runs prepared statements, with their parameters, again and again', async () => {
    const statement = preparedStatement('probe_item_by_id', 'SELECT id, name FROM probe.items WHERE id = $1');
    await db().insertInto('items').values({ id: 5, name: 'five', claimed_by: null }).execute();
    for (let call = 0; call < 3; call++) expect(await executePrepared(platform.database.db, statement, [5])).toEqual([{ id: 5, name: 'five' }]);
    expect(await executePrepared(platform.database.db, statement, [6])).toEqual([]);
    if (kind === 'postgres') {
      // PostgreSQL holds it as a named statement on the connection that ran it.
      const names = await platform.database.db.connection().execute(async (connection) => {
        await executePrepared(connection, statement, [5]);
        return (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(connection)).rows.map((row) => row.name);
      });
      expect(names).toContain('probe_item_by_id');
    }
    expect(() => preparedStatement('Bad Name', 'SELECT 1')).toThrow(/lower case/);
  });

  it('hands locked rows to nobody else under FOR UPDATE SKIP LOCKED', async () => {
    await db()
      .insertInto('items')
      .values([20, 21, 22].map((id) => ({ id, name: `n${id}`, claimed_by: null })))
      .execute();
    const claim = (who: string) =>
      db()
        .transaction()
        .execute(async (trx) => {
          const rows = await trx.selectFrom('items').select('id').where('id', '>=', 20).where('claimed_by', 'is', null).orderBy('id').limit(2).forUpdate().skipLocked().execute();
          await new Promise((resolve) => setTimeout(resolve, 100));
          const ids = rows.map((row) => row.id);
          if (ids.length > 0) await trx.updateTable('items').set({ claimed_by: who }).where('id', 'in', ids).execute();
          return ids;
        });
    const [a, b] = await Promise.all([claim('a'), claim('b')]);
    expect([...a, ...b].sort()).toEqual([20, 21, 22]);
  });
});

/**
 * pg-pool takes its own error listener off a connection while it is lent out, and a pg client
 * that loses its connection emits `error`: with no listener left, a PostgreSQL restart during a
 * query or a transaction crashed the process (the chaos run's recovery check found API and
 * orchestrator replicas gone after one).
 */
describe('platform database on PostgreSQL, when the server drops a connection in use', () => {
  let platform: TestPlatformDatabase;
  beforeAll(async () => {
    platform = await openTestPlatformDatabase('postgres');
  });
  afterAll(async () => platform?.close());

  it('fails that transaction and keeps serving from new connections', async () => {
    const failed = await platform.database.db
      .transaction()
      .execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        await adminQuery('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        // The connection's end arrives while the transaction holds it, between two statements.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await sql`select 1`.execute(trx);
      })
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    const { rows } = await sql<{ answer: number }>`select 42 as answer`.execute(platform.database.db);
    expect(rows[0]!.answer).toBe(42);
  });
});
