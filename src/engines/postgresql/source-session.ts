import pg from 'pg';
import type { BackupContents, ExcludedObject } from '../../contracts/index.js';
import { JobFailure } from '../../agent/job-failure.js';
import { serverMajorOf } from './pg-dump.js';
import { checkIdentity, identityOf, pgClientConfig } from './connection.js';
import { type PinnedTarget } from '../../agent/pinned-target.js';
import { failureFromClientError } from './failures.js';
import type { UnreadableObject } from './unreadable-objects.js';

export interface SessionLimits {
  /** How long any statement of the session waits for a lock before it fails (`lock_timeout`). */
  lockTimeoutMs: number;
  /** How long a pre-flight statement may run; the counts, which read every row, are not bounded by it. */
  statementTimeoutMs: number;
}

/** Server settings for the session's start-up packet: bounded from its first statement on. */
export function sessionOptions(limits: SessionLimits): string {
  return `-c lock_timeout=${Math.round(limits.lockTimeoutMs)} -c statement_timeout=${Math.round(limits.statementTimeoutMs)}`;
}

export type Inventory = Pick<BackupContents, 'schemas' | 'tables' | 'extensions' | 'views' | 'materializedViews' | 'functions' | 'sequences' | 'largeObjects' | 'roles'>;

/** What the backup leaves out, as the session's queries take it: parallel arrays of schema and name. */
interface ExcludedNames {
  schemas: string[];
  relationSchemas: string[];
  relationNames: string[];
  largeObjects: boolean;
}

function excludedNames(excluded: readonly ExcludedObject[]): ExcludedNames {
  const relations = excluded.filter((object) => object.kind !== 'schema' && object.kind !== 'large_objects');
  return {
    schemas: excluded.filter((object) => object.kind === 'schema').map((object) => object.name),
    relationSchemas: relations.map((object) => object.schema ?? ''),
    relationNames: relations.map((object) => object.name),
    largeObjects: excluded.some((object) => object.kind === 'large_objects'),
  };
}

/** The relation aliased `c` in schema `n` is dumped: not an extension's, not excluded ($1 schemas, $2/$3 relations). */
const dumpedRelation = `${userSchemaOf('n')} and n.nspname <> all ($1::text[])
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
  and (n.nspname, c.relname) not in (select * from unnest($2::text[], $3::text[]))`;

function userSchemaOf(alias: string): string {
  return `${alias}.nspname not in ('pg_catalog', 'information_schema') and ${alias}.nspname not like 'pg_toast%' and ${alias}.nspname not like 'pg_temp%'`;
}

/** Whether the session's user may read the large object aliased `m` (has_largeobject_privilege only exists from PostgreSQL 17). */
const largeObjectReadable = `(current_setting('lo_compat_privileges')::boolean
  or (select rolsuper from pg_roles where rolname = current_user)
  or pg_has_role(m.lomowner, 'USAGE')
  or exists (select 1 from aclexplode(m.lomacl) a where a.privilege_type = 'SELECT' and (a.grantee = 0 or pg_has_role(a.grantee, 'USAGE'))))`;

/**
 * One connection to the database being backed up, held for the whole dump. It reads the
 * server's version (for the pg_dump check), then opens a REPEATABLE READ transaction, exports
 * its snapshot for `pg_dump --snapshot`, and counts every table's rows in that same snapshot:
 * the counts describe exactly what the dump holds. It first asks the server which database and
 * user it is, and refuses any other (`target_mismatch`). Connection errors become precise
 * failures, since `pg` reports them with codes where pg_dump only prints text.
 */
export class SourceSession {
  private constructor(
    private readonly client: pg.Client,
    readonly server: { major: number; text: string },
  ) {}

  static async open(target: PinnedTarget, password: string | undefined, limits: SessionLimits, applicationName = 'lifeboat-backup'): Promise<SourceSession> {
    const client = new pg.Client({ ...pgClientConfig(target, password, applicationName), options: sessionOptions(limits) });
    // An error after connect (the server going away) must not crash the agent as an unhandled event.
    client.on('error', () => undefined);
    try {
      await client.connect();
      checkIdentity(target, await identityOf(client));
      const { rows } = await client.query<{ num: string; text: string }>("select current_setting('server_version_num') as num, current_setting('server_version') as text");
      const row = rows[0];
      if (!row) throw new Error('the server did not report its version');
      return new SourceSession(client, { major: serverMajorOf(Number(row.num)), text: row.text.split(' ')[0] ?? row.text });
    } catch (error) {
      await client.end().catch(() => undefined);
      if (error instanceof JobFailure) throw error;
      throw new JobFailure(failureFromClientError(error, target), { cause: error });
    }
  }

  /**
   * The tables, sequences and schemas pg_dump must read that the user may not: asked of the
   * catalog before anything is dumped, so that the backup fails naming them
   * (`unreadableFailure`) instead of pg_dump failing on the first one midway.
   */
  async unreadableObjects(): Promise<UnreadableObject[]> {
    const { rows } = await this.client.query<UnreadableObject>(`
      select 'schema' as kind, n.nspname as schema, n.nspname as name, pg_get_userbyid(n.nspowner) as owner, 'USAGE' as privilege
      from pg_namespace n
      where ${userSchema('n')} and not has_schema_privilege(n.oid, 'USAGE')
        and exists (select 1 from pg_class c where c.relnamespace = n.oid and c.relkind in ('r', 'p', 'S'))
      union all
      select case c.relkind when 'S' then 'sequence' else 'table' end, n.nspname, c.relname, pg_get_userbyid(c.relowner), 'SELECT'
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'S') and ${userSchema('n')} and has_schema_privilege(n.oid, 'USAGE')
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        and not (case when c.relkind = 'S' then has_sequence_privilege(c.oid, 'SELECT') else has_table_privilege(c.oid, 'SELECT') end)
      order by 1, 2, 3`);
    return rows;
  }

  /**
   * The large objects the user may not read (pg_dump reads every one unless told to leave them
   * all out), the first thousand by oid, and how many large objects there are.
   */
  async unreadableLargeObjects(): Promise<{ unreadable: UnreadableObject[]; total: number }> {
    const unreadable = await this.client.query<UnreadableObject>(`
      select 'large_object' as kind, '' as schema, m.oid::text as name, pg_get_userbyid(m.lomowner) as owner, 'SELECT' as privilege
      from pg_largeobject_metadata m where not ${largeObjectReadable} order by m.oid limit 1000`);
    const total = await this.client.query<{ total: number }>('select count(*)::int as total from pg_largeobject_metadata');
    return { unreadable: unreadable.rows, total: total.rows[0]?.total ?? 0 };
  }

  /**
   * The relations the service's `excludeTables` names: an entry is "schema.name" or a bare name
   * (that name in any schema), matched exactly, case and all.
   */
  async configuredExclusions(names: readonly string[]): Promise<ExcludedObject[]> {
    if (names.length === 0) return [];
    const { rows } = await this.client.query<{ schema: string; name: string; relkind: string }>(
      `select n.nspname as schema, c.relname as name, c.relkind
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p', 'S', 'v', 'm', 'f') and ${userSchemaOf('n')}
         and (c.relname = any ($1::text[]) or n.nspname || '.' || c.relname = any ($1::text[]))
       order by 1, 2`,
      [names],
    );
    return rows.map((row) => ({ kind: relationKinds[row.relkind] ?? 'table', schema: row.schema, name: row.name, reason: 'configured' as const }));
  }

  /** Exports a snapshot for pg_dump; it lives until `close`. */
  async snapshot(): Promise<string> {
    await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await this.client.query<{ id: string }>('select pg_export_snapshot() as id');
    return rows[0]!.id;
  }

  /**
   * Takes the inventory in the exported snapshot: what the dump holds, row for row. Meant to run
   * while pg_dump does (counting every row of a large database takes seconds).
   */
  async inventory(excluded: readonly ExcludedObject[] = []): Promise<Inventory> {
    await this.client.query('SET LOCAL statement_timeout = 0');
    const names = excludedNames(excluded);
    const relationParams = [names.schemas, names.relationSchemas, names.relationNames];
    const relations = await this.client.query<{ schema: string; name: string; relkind: string; bytes: string }>(
      `select n.nspname as schema, c.relname as name, c.relkind, pg_total_relation_size(c.oid) as bytes
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'S', 'v', 'm') and ${dumpedRelation}
       order by 1, 2`,
      relationParams,
    );
    const counted: Inventory['tables'] = [];
    for (const table of relations.rows.filter((row) => row.relkind === 'r')) {
      const rows = await this.counted(`select count(*) as rows from only ${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)}`);
      counted.push({ schema: table.schema, name: table.name, rows, bytes: Number(table.bytes) });
    }
    const named = (relkind: string) => relations.rows.filter((row) => row.relkind === relkind).map(({ schema, name }) => ({ schema, name }));
    const schemas = await this.client.query<{ name: string }>(`select n.nspname as name from pg_namespace n where ${userSchemaOf('n')} and n.nspname <> all ($1::text[]) order by 1`, [names.schemas]);
    const extensions = await this.client.query<{ name: string; version: string }>('select extname as name, extversion as version from pg_extension order by 1');
    const functions = await this.client.query<{ schema: string; name: string; kind: 'function' | 'procedure' | 'aggregate' | 'window'; arguments: string }>(
      `select n.nspname as schema, p.proname as name,
         case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' when 'w' then 'window' else 'function' end as kind,
         pg_get_function_identity_arguments(p.oid) as arguments
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where ${userSchemaOf('n')} and n.nspname <> all ($1::text[])
         and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
       order by 1, 2, 4`,
      [names.schemas],
    );
    const largeObjects = names.largeObjects ? 0 : Number((await this.client.query<{ n: string }>('select count(*) as n from pg_largeobject_metadata')).rows[0]?.n ?? 0);
    // Owners and grantees of what the dump holds: a restore elsewhere needs these roles (or --no-owner).
    const roles = await this.client.query<{ name: string; owns: number; granted: number }>(
      `with objects as (
         select 'c' || c.oid as id, c.relowner as owner, c.relacl as acl from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('r', 'p', 'S', 'v', 'm', 'f') and ${dumpedRelation}
         union all
         select 'p' || p.oid, p.proowner, p.proacl from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where ${userSchemaOf('n')} and n.nspname <> all ($1::text[])
           and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
         union all
         select 'n' || n.oid, n.nspowner, n.nspacl from pg_namespace n where ${userSchemaOf('n')} and n.nspname <> all ($1::text[])
         union all
         select 'l' || m.oid, m.lomowner, m.lomacl from pg_largeobject_metadata m where not $4::boolean
       ),
       refs as (
         select owner as role, 'owns' as how, id from objects
         union
         select a.grantee, 'granted', o.id from objects o cross join lateral aclexplode(o.acl) a where a.grantee <> 0 and a.grantee <> o.owner
       )
       select pg_get_userbyid(role) as name, (count(*) filter (where how = 'owns'))::int as owns, (count(*) filter (where how = 'granted'))::int as granted
       from refs group by role order by 1`,
      [...relationParams, names.largeObjects],
    );
    return {
      schemas: schemas.rows.map((row) => row.name),
      tables: counted,
      extensions: extensions.rows,
      views: named('v'),
      materializedViews: named('m'),
      functions: functions.rows,
      sequences: named('S'),
      largeObjects,
      roles: roles.rows,
    };
  }

  /**
   * One count in a savepoint: a count that fails (a lock wait that ran out, a table it may not
   * read) rolls back only itself, never the transaction whose snapshot pg_dump dumps from.
   */
  private async counted(statement: string): Promise<number> {
    await this.client.query('SAVEPOINT lifeboat_count');
    try {
      const { rows } = await this.client.query<{ rows: string }>(statement);
      await this.client.query('RELEASE SAVEPOINT lifeboat_count');
      return Number(rows[0]?.rows ?? 0);
    } catch (error) {
      await this.client.query('ROLLBACK TO SAVEPOINT lifeboat_count').catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}

const relationKinds: Record<string, ExcludedObject['kind']> = { r: 'table', p: 'table', S: 'sequence', v: 'view', m: 'materialized_view', f: 'foreign_table' };

/** The schemas that hold the database's own objects (not the catalogs, TOAST or temporary ones). */
function userSchema(alias: string): string {
  return `${alias}.nspname not in ('pg_catalog', 'information_schema') and ${alias}.nspname not like 'pg_toast%' and ${alias}.nspname not like 'pg_temp%'`;
}

/**
 * Ends every session of the service's server named `applicationName` (the job's pre-flight and
 * pg_dump's), from a connection of its own: one waiting for a lock would otherwise stay until the
 * lock or its wait ran out, long after the backup was canceled. A role may end its own sessions.
 */
export async function endSessions(target: PinnedTarget, password: string | undefined, applicationName: string): Promise<number> {
  const client = new pg.Client(pgClientConfig(target, password, 'lifeboat-cancel'));
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ ended: number }>(
      'select count(*) filter (where pg_terminate_backend(pid))::int as ended from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()',
      [applicationName],
    );
    return rows[0]?.ended ?? 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}
