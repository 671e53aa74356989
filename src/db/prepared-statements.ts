import { CompiledQuery, type Kysely, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * Named prepared statements for the hottest queries: PostgreSQL parses and plans a statement
 * once per connection instead of on every call (BENCHMARKS.md, control plane). A statement's
 * text starts with a comment naming it; `preparingPool` sees the mark and passes the name to
 * pg. PGlite ignores the comment and runs the text as it is.
 *
 * The text must name its result columns (no `*`): a prepared statement whose result columns
 * change under it, when a migration adds a column while an older replica still runs, fails
 * with "cached plan must not change result type".
 */
export interface PreparedStatement {
  readonly text: string;
}

export function preparedStatement(name: string, text: string): PreparedStatement {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`a prepared statement's name is lower case and underscores: ${name}`);
  return { text: `/* prepared:${name} */ ${text}` };
}

export async function executePrepared<Row>(db: Pick<Kysely<unknown>, 'executeQuery'>, statement: PreparedStatement, parameters: readonly unknown[]): Promise<Row[]> {
  return (await db.executeQuery<Row>(CompiledQuery.raw(statement.text, [...parameters]))).rows;
}

const mark = /^\/\* prepared:([a-z_]+) \*\//;

/** A pg pool for Kysely that sends queries marked by `executePrepared` as named prepared statements. */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    // Kysely also passes cursors here: anything unmarked goes to pg unchanged.
    query: ((text: unknown, parameters?: readonly unknown[]) => {
      const name = typeof text === 'string' ? mark.exec(text)?.[1] : undefined;
      if (name !== undefined) return client.query({ name, text: text as string, values: [...(parameters ?? [])] });
      return (client.query as (...args: unknown[]) => unknown).call(client, text, parameters);
    }) as unknown as PostgresPoolClient['query'],
    release: (destroy?: boolean) => client.release(destroy),
  });
  return {
    async connect() {
      const client = await pool.connect();
      let view = wrapped.get(client);
      if (!view) wrapped.set(client, (view = wrap(client)));
      return view;
    },
    end: () => pool.end(),
  };
}
