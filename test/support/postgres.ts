import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL (trust auth); `.ci/run` starts it if it is down. */
export const postgresHost = process.env.LIFEBOAT_TEST_PGHOST ?? '127.0.0.1';
export const postgresPort = Number(process.env.LIFEBOAT_TEST_PGPORT ?? 5432);
export const postgresUser = process.env.LIFEBOAT_TEST_PGUSER ?? 'postgres';

export function postgresUrl(database: string): string {
  return `postgres://${postgresUser}@${postgresHost}:${postgresPort}/${database}`;
}

/** Runs SQL on the server's `postgres` database. */
export function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  return queryDatabase('postgres', text, values);
}

/** Runs SQL on the named database of the machine's PostgreSQL. */
export async function queryDatabase(database: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: postgresUrl(database) });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

/** A new, empty database with a unique name; `drop()` removes it (and kicks out its sessions). */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `lifeboat_test_${label.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const url = postgresUrl(name);
  return {
    name,
    url,
    query: (text, values = []) => queryDatabase(name, text, values),
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    },
  };
}

/** Fills a database with a few tables of thousands of rows of mixed types. */
export async function seedSampleData(database: TestDatabase, rows = 5000): Promise<void> {
  await database.query(`
    CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE, created_at timestamptz DEFAULT now());
    CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric(12,2), note text, tags text[], placed_at timestamptz);
    CREATE TABLE events (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), payload jsonb NOT NULL, happened_on date);
    CREATE INDEX orders_by_customer ON orders(customer_id);
    INSERT INTO customers(name, email) SELECT 'Kunde ' || g || ' ünïcødé', 'c' || g || '@example.com' FROM generate_series(1, ${rows}) g;
    INSERT INTO orders(customer_id, total, note, tags, placed_at)
      SELECT 1 + (g % ${rows}), (g * 7 % 10000) / 100.0, repeat('n', g % 300), ARRAY['a' || g % 5, 'b'], now() - (g || ' minutes')::interval
      FROM generate_series(1, ${rows * 2}) g;
    INSERT INTO events(payload, happened_on) SELECT jsonb_build_object('n', g, 'kind', 'k' || (g % 7)), current_date - (g % 400) FROM generate_series(1, ${rows}) g;
  `);
}

/** Every table's rows in a stable order, as text: equal output means equal data. */
export async function tableFingerprints(database: Pick<TestDatabase, 'query'>): Promise<Record<string, { rows: number; md5: string }>> {
  const tables = await database.query(
    `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  );
  const result: Record<string, { rows: number; md5: string }> = {};
  for (const { name } of tables.rows as { name: string }[]) {
    const { rows } = await database.query(
      `SELECT count(*)::int AS rows, coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') AS md5 FROM ${name} t`,
    );
    result[name] = rows[0] as { rows: number; md5: string };
  }
  return result;
}

/**
 * Content that exercises what a restore must bring back: several schemas, sequences, indexes,
 * a view, a large object, an extension type (citext), non-ASCII text.
 */
export async function seedVariedContent(database: TestDatabase): Promise<void> {
  await database.query(`
    CREATE EXTENSION citext;
    CREATE SCHEMA billing;
    CREATE SCHEMA "Inventar";
    CREATE TABLE billing.accounts (id bigserial PRIMARY KEY, email citext UNIQUE NOT NULL, name text NOT NULL, balance numeric(12,2) DEFAULT 0);
    CREATE TABLE billing.invoices (id serial PRIMARY KEY, account_id bigint REFERENCES billing.accounts(id), issued_on date, lines jsonb, document oid);
    CREATE INDEX invoices_by_account ON billing.invoices (account_id, issued_on DESC);
    CREATE TABLE "Inventar"."Artikel" (nummer int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, bezeichnung text, preis money, gewicht real);
    CREATE SEQUENCE billing.invoice_numbers START 1000;
    CREATE VIEW billing.balances AS SELECT a.email, a.balance, count(i.id) AS invoices FROM billing.accounts a LEFT JOIN billing.invoices i ON i.account_id = a.id GROUP BY a.id;
    INSERT INTO billing.accounts (email, name, balance) SELECT 'User' || g || '@Example.com', 'Kundin ' || g || ' – Zoë Ærø 日本', g * 1.5 FROM generate_series(1, 500) g;
    INSERT INTO billing.invoices (account_id, issued_on, lines) SELECT 1 + g % 500, DATE '2026-01-01' + g % 300, jsonb_build_array(jsonb_build_object('sku', g, 'qty', g % 7)) FROM generate_series(1, 2000) g;
    INSERT INTO "Inventar"."Artikel" (bezeichnung, preis, gewicht) SELECT 'Straßenkreuzer Nr. ' || g, g * 3.25, g / 7.0 FROM generate_series(1, 300) g;
    SELECT setval('billing.invoice_numbers', 1234);
    UPDATE billing.invoices SET document = lo_from_bytea(0, convert_to('Rechnung №1 — grüße', 'UTF8')) WHERE id = 1;
  `);
}

/** Everything that must survive a restore, as comparable values: table fingerprints, sequences, large objects. */
export async function databaseState(database: Pick<TestDatabase, 'query'>): Promise<unknown> {
  const sequences = await database.query(`SELECT schemaname || '.' || sequencename AS name, last_value FROM pg_sequences ORDER BY 1`);
  const largeObjects = await database.query(`SELECT encode(lo_get(document), 'escape') AS body FROM billing.invoices WHERE document IS NOT NULL ORDER BY id`);
  return { tables: await tableFingerprints(database), sequences: sequences.rows, largeObjects: largeObjects.rows };
}
