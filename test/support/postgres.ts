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
export async function adminQuery(text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: postgresUrl('postgres') });
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
    async query(text, values = []) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await client.query(text, values);
      } finally {
        await client.end();
      }
    },
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
