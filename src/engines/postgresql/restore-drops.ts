import pg from 'pg';
import { type DatabaseObject, type DroppedObjects, droppedObjectsListed } from '../../contracts/index.js';

/**
 * What an in-place restore removes so that the database afterwards equals the backup: the
 * objects in the database now that the backup's table of contents does not hold. Pure, apart
 * from `objectsInDatabase`, which reads the catalog.
 *
 * Covered: schemas, tables (and partitions), views, materialized views, foreign tables,
 * sequences not owned by a column, functions, procedures, aggregates, enum/composite/range
 * types, domains and large objects. Left as they are: extensions and everything they own (an
 * administrator installs them), and what the backup left out on purpose (`keep`). Indexes,
 * constraints, triggers and policies go with their table, which the restore recreates.
 */

/** A database object as found in the catalog: what it is, and the statement that drops it. */
export interface DroppableObject extends DatabaseObject {
  /** The TOC line's start (`TABLE public orders `) an object of the backup would have. */
  tocPrefix: string;
  drop: string;
}

/** The kinds in the order they are dropped: dependants before what they depend on, schemas last. */
const dropOrder: DatabaseObject['kind'][] = ['view', 'materialized_view', 'foreign_table', 'table', 'sequence', 'function', 'procedure', 'aggregate', 'type', 'domain', 'large_object', 'schema'];

const tocDescriptions: Record<DatabaseObject['kind'], string> = {
  schema: 'SCHEMA',
  table: 'TABLE',
  view: 'VIEW',
  materialized_view: 'MATERIALIZED VIEW',
  foreign_table: 'FOREIGN TABLE',
  sequence: 'SEQUENCE',
  function: 'FUNCTION',
  procedure: 'PROCEDURE',
  aggregate: 'AGGREGATE',
  type: 'TYPE',
  domain: 'DOMAIN',
  large_object: 'BLOB',
};

const dropKeywords: Record<DatabaseObject['kind'], string> = { ...tocDescriptions, large_object: '' };

/**
 * The definition entries of `pg_restore -l` output, each without its dump id and OIDs: `TABLE
 * public orders app`. Names are printed unquoted, so an entry is matched by its start
 * (`tocPrefix`) followed by the owner. An owner whose name has a space makes its objects count
 * as not in the backup: they are then dropped, and recreated by the restore's --clean, so only
 * the list of what was dropped says too much.
 */
export function tableOfContentsEntries(listing: string): string[] {
  const entries: string[] = [];
  for (const line of listing.split('\n')) {
    // `218; 1259 16553 TABLE s1 orders app`: the catalog OID is non-zero for definitions (0 for TABLE DATA, SEQUENCE SET, …).
    const match = /^\d+; (\d+) \d+ (.*)$/.exec(line);
    if (match && match[1] !== '0') entries.push(`${match[2]} `);
  }
  return entries;
}

/** The objects to drop, in the order to drop them: in the database, not in the backup, not kept. */
export function objectsNotInBackup(inDatabase: readonly DroppableObject[], tocEntries: readonly string[], keep: readonly DatabaseObject[]): DroppableObject[] {
  const kept = new Set(keep.map(keyOf));
  const keptSchemas = new Set(keep.filter((object) => object.kind === 'schema').map((object) => object.name));
  const keepsAllLargeObjects = keep.some((object) => object.kind === 'large_object');
  const notInBackup = inDatabase.filter((object) => {
    if (kept.has(keyOf(object)) || (object.schema !== null && keptSchemas.has(object.schema))) return false;
    if (object.kind === 'large_object') return !keepsAllLargeObjects && !largeObjectInBackup(Number(object.name), tocEntries);
    if (object.kind === 'schema' && keep.some((other) => other.schema === object.name)) return false;
    return !tocEntries.some((entry) => isEntryOf(object, entry));
  });
  return notInBackup.sort((a, b) => dropOrder.indexOf(a.kind) - dropOrder.indexOf(b.kind));
}

/** The entry is the object's: its prefix, then only the owner's name (`a` is not `a b`). */
function isEntryOf(object: DroppableObject, entry: string): boolean {
  return entry.startsWith(object.tocPrefix) && !entry.slice(object.tocPrefix.length).trimEnd().includes(' ');
}

/** pg_dump before 17 lists each large object (`BLOB - 16600 app`); from 17 in groups (`BLOB METADATA - 16600..16620 app`). */
function largeObjectInBackup(oid: number, tocEntries: readonly string[]): boolean {
  return tocEntries.some((entry) => {
    const match = /^BLOB(?: METADATA)? - (\d+)(?:\.\.(\d+))? /.exec(entry);
    return match !== null && oid >= Number(match[1]) && oid <= Number(match[2] ?? match[1]);
  });
}

function keyOf(object: DatabaseObject): string {
  // A kept `table` covers whatever relation has that name: the backup's exclusions do not say which kind it was.
  const kind = ['table', 'view', 'materialized_view', 'foreign_table', 'sequence'].includes(object.kind) ? 'relation' : object.kind;
  return JSON.stringify([kind, object.schema, object.name]);
}

/** What a restore reports of them: all counted, the first ones named. */
export function listed(drops: readonly DatabaseObject[]): DroppedObjects {
  return { total: drops.length, objects: drops.slice(0, droppedObjectsListed).map(({ kind, schema, name }) => ({ kind, schema, name })) };
}

/** The SQL that drops them, one statement a line, run inside the restore's transaction. */
export function dropScript(objects: readonly DroppableObject[]): string {
  return objects.map((object) => `${object.drop}\n`).join('');
}

// The catalog, read by the service's user: system schemas and extension members left out.
const catalogQuery = `
WITH ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),
user_schemas AS (
  SELECT n.oid, n.nspname FROM pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_namespace'::regclass AND ext.objid = n.oid))
SELECT 'schema' AS kind, NULL AS schema, s.nspname AS name, NULL AS arguments FROM user_schemas s WHERE s.nspname <> 'public'
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view' WHEN 'f' THEN 'foreign_table' WHEN 'S' THEN 'sequence' ELSE 'table' END, s.nspname, c.relname, NULL
FROM pg_class c JOIN user_schemas s ON s.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
  AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END, s.nspname, p.proname,
  CASE WHEN p.prokind = 'a' AND p.pronargs = 0 THEN '*' ELSE oidvectortypes(p.proargtypes) END
FROM pg_proc p JOIN user_schemas s ON s.oid = p.pronamespace
WHERE NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, s.nspname, t.typname, NULL
FROM pg_type t JOIN user_schemas s ON s.oid = t.typnamespace LEFT JOIN pg_class c ON c.oid = t.typrelid
WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
UNION ALL
SELECT 'large_object', NULL, m.oid::text, NULL FROM pg_largeobject_metadata m
ORDER BY 1, 2, 3`;

/** Every object of the kinds above in the connected database, each with its TOC prefix and DROP. */
export async function objectsInDatabase(client: pg.ClientBase): Promise<DroppableObject[]> {
  const { rows } = await client.query<{ kind: DatabaseObject['kind']; schema: string | null; name: string; arguments: string | null }>(catalogQuery);
  return rows.map(droppable);
}

/** Pure: the TOC prefix and the DROP statement of one catalog row. */
export function droppable(row: { kind: DatabaseObject['kind']; schema: string | null; name: string; arguments: string | null }): DroppableObject {
  const { kind, schema, name } = row;
  const signature = row.arguments === null ? '' : `(${row.arguments})`;
  const object: DatabaseObject = { kind, schema, name: `${name}${signature}` };
  if (kind === 'large_object') {
    return { ...object, tocPrefix: `BLOB - ${name} `, drop: `SELECT pg_catalog.lo_unlink(${Number(name)});` };
  }
  const qualified = schema === null ? pg.escapeIdentifier(name) : `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`;
  // Argument types as pg_dump names them (oidvectortypes, the server's format_type: quoted where needed).
  return {
    ...object,
    tocPrefix: `${tocDescriptions[kind]} ${schema ?? '-'} ${name}${signature} `,
    drop: `DROP ${dropKeywords[kind]} IF EXISTS ${qualified}${signature} CASCADE;`,
  };
}
