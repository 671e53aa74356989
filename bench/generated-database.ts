/**
 * Source databases for the backup and restore benchmarks: orders (integers, timestamps,
 * numerics, short text, jsonb) with three indexes, and documents whose bodies are large enough
 * to be TOASTed. Kept between runs as `lifeboat_bench_mixed_<MiB>`, since generating gigabytes
 * takes minutes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { adminQuery, postgresUrl } from '../test/support/postgres.js';
import { progress } from './figures.js';

const run = promisify(execFile);

const schema = `
  CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id integer NOT NULL,
    placed_at timestamptz NOT NULL,
    amount numeric(12, 2) NOT NULL,
    status text NOT NULL,
    reference text NOT NULL,
    attributes jsonb NOT NULL
  );
  CREATE TABLE documents (id bigserial PRIMARY KEY, order_id bigint NOT NULL, title text NOT NULL, body text NOT NULL);`;

/** About 20 MiB on disk: 50,000 orders and 625 documents of about 13 kB each. */
const chunk = `
  INSERT INTO orders (customer_id, placed_at, amount, status, reference, attributes)
  SELECT (random() * 100000)::int, now() - random() * interval '730 days', round((random() * 1000)::numeric, 2),
         (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + floor(random() * 4)::int], md5(random()::text),
         jsonb_build_object('sku', substr(md5(g::text), 1, 10), 'quantity', 1 + g % 7, 'gift', g % 11 = 0)
  FROM generate_series(1, 50000) g;
  INSERT INTO documents (order_id, title, body)
  SELECT (random() * 1000000)::bigint, 'document ' || g, array_to_string(ARRAY(SELECT md5(random()::text || g) FROM generate_series(1, 400)), ' ')
  FROM generate_series(1, 625) g;`;

const indexes = `
  CREATE INDEX orders_customer ON orders (customer_id, placed_at);
  CREATE INDEX orders_status ON orders (status) WHERE status <> 'shipped';
  CREATE INDEX documents_order ON documents (order_id);`;

/** Creates (once) a database of about `mib` MiB and returns its name. */
export async function generatedDatabase(mib: number): Promise<string> {
  const name = `lifeboat_bench_mixed_${mib}`;
  const exists = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount !== 0) return name;
  progress(`generating about ${mib} MiB of mixed data in ${name}…`);
  // Built under a scratch name and renamed at the end, so an interrupted run leaves nothing half-made under the real name.
  const building = `${name}_building`;
  await adminQuery(`DROP DATABASE IF EXISTS ${building}`);
  await adminQuery(`CREATE DATABASE ${building}`);
  const url = postgresUrl(building);
  await run('psql', [url, '-qv', 'ON_ERROR_STOP=1', '-c', schema]);
  // The indexes come to about a tenth, so the tables are filled to 92 % of the target first.
  while ((await sizeMiB(building)) < mib * 0.92) await run('psql', [url, '-qv', 'ON_ERROR_STOP=1', '-c', chunk]);
  await run('psql', [url, '-qv', 'ON_ERROR_STOP=1', '-c', indexes, '-c', 'VACUUM ANALYZE']);
  await adminQuery(`ALTER DATABASE ${building} RENAME TO ${name}`);
  progress(`${name}: ${(await sizeMiB(name)).toFixed(0)} MiB`);
  return name;
}

export async function sizeMiB(database: string): Promise<number> {
  const { rows } = await adminQuery('SELECT pg_database_size($1)::bigint AS bytes', [database]);
  return Number(rows[0].bytes) / 2 ** 20;
}
