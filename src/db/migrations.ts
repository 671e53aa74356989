import { type Kysely, type Migration, Migrator, sql } from 'kysely';

/**
 * Applies one schema's migrations, in name order, so that several replicas starting together
 * apply each migration once: an advisory lock (held on one connection) covers creating the
 * schema, which Kysely's own migration lock cannot, since that lock lives inside the schema.
 * Each half of Lifeboat owns a schema and its migration table inside it.
 */
export async function migrateSchema(db: Kysely<unknown>, schema: string, migrations: Record<string, Migration>): Promise<void> {
  await db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(hashtext(${`lifeboat.migrate.${schema}`}))`.execute(connection);
    try {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(connection);
      const migrator = new Migrator({
        db: connection,
        provider: { getMigrations: () => Promise.resolve(migrations) },
        migrationTableSchema: schema,
        migrationTableName: 'migrations',
        migrationLockTableName: 'migration_lock',
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error) {
        const failed = results?.find((result) => result.status === 'Error');
        throw new Error(`migrating schema ${schema} failed${failed ? ` at ${failed.migrationName}` : ''}`, { cause: error });
      }
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${`lifeboat.migrate.${schema}`}))`.execute(connection);
    }
  });
}

/**
 * A migration written as plain SQL statements: the same text runs on PGlite and PostgreSQL.
 * One statement per string, because the extended query protocol takes one at a time.
 */
export function sqlMigration(...statements: string[]): Migration {
  return {
    async up(db) {
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
  };
}
