import { z } from 'zod';

/** The kinds of object a backup can leave out; `large_objects` stands for all of the database's large objects at once. */
export const excludedKinds = ['schema', 'table', 'sequence', 'view', 'materialized_view', 'foreign_table', 'large_objects'] as const;
export type ExcludedKind = (typeof excludedKinds)[number];

/** Something the backup left out on purpose: one the user cannot read (with `skipUnreadable`), or one the service's settings exclude. */
export const excludedObject = z.object({
  kind: z.enum(excludedKinds).describe('what kind of object'),
  schema: z.string().nullable().describe('its schema; null for large objects, which belong to the database'),
  name: z.string().describe('its name (for large objects: how many were left out)'),
  reason: z.enum(['unreadable', 'configured']).describe("unreadable: the service's user may not read it and skipUnreadable is on; configured: the service's excludeTables names it"),
  detail: z.string().optional().describe('what exactly was left out, where it is not the whole object'),
});
export type ExcludedObject = z.infer<typeof excludedObject>;

const namedObject = (what: string) => z.object({ schema: z.string().describe(`the ${what}'s schema`), name: z.string().describe(`the ${what}'s name`) });

/**
 * What a backup holds, taken when it was made, in the same snapshot as the dump: inspecting a
 * backup costs no download, and a restore drill can check every table against it. The fields
 * after `extensions` came later: contents recorded before them decode without them.
 */
export const backupContents = z.object({
  serverVersion: z.string().describe('the version of the server dumped'),
  toolVersion: z.string().describe('the version of the dump tool'),
  capturedAt: z.iso.datetime({ offset: true }).describe('when the snapshot was taken'),
  schemas: z.array(z.string()).describe('the schemas in the artifact'),
  tables: z
    .array(
      z.object({
        schema: z.string().describe("the table's schema"),
        name: z.string().describe("the table's name"),
        rows: z.number().int().nonnegative().describe("rows, counted in the dump's snapshot"),
        bytes: z.number().int().nonnegative().describe('size on the server, in bytes'),
      }),
    )
    .describe('the tables in the artifact'),
  extensions: z.array(z.object({ name: z.string().describe('extension name'), version: z.string().describe('its version') })).describe('the extensions installed'),
  views: z.array(namedObject('view')).optional().describe('the views in the artifact'),
  materializedViews: z.array(namedObject('materialized view')).optional().describe('the materialized views in the artifact (their definitions; the restore refreshes them)'),
  functions: z
    .array(namedObject('function').extend({ kind: z.enum(['function', 'procedure', 'aggregate', 'window']).describe('what kind of routine'), arguments: z.string().describe('its argument types, as PostgreSQL prints them') }))
    .optional()
    .describe('the functions and procedures in the artifact (not those of extensions)'),
  sequences: z.array(namedObject('sequence')).optional().describe('the sequences in the artifact'),
  largeObjects: z.number().int().nonnegative().optional().describe('how many large objects the artifact holds'),
  roles: z
    .array(z.object({ name: z.string().describe("the role's name"), owns: z.number().int().nonnegative().describe('objects in the artifact it owns'), granted: z.number().int().nonnegative().describe('objects in the artifact it is granted privileges on') }))
    .optional()
    .describe('the roles the artifact refers to (owners and grantees): a restore elsewhere needs them, or runs with --no-owner'),
  excluded: z.array(excludedObject).optional().describe('what the backup left out, and why; absent or empty: nothing'),
});
export type BackupContents = z.infer<typeof backupContents>;

/** The kinds of object an in-place restore removes when the backup does not hold them. */
export const databaseObjectKinds = ['schema', 'table', 'view', 'materialized_view', 'foreign_table', 'sequence', 'function', 'procedure', 'aggregate', 'type', 'domain', 'large_object'] as const;

export const databaseObject = z.object({
  kind: z.enum(databaseObjectKinds).describe('what kind of object'),
  schema: z.string().nullable().describe('its schema; null for schemas and large objects'),
  name: z.string().describe("its name (functions with their argument types; large objects: the OID)"),
});
export type DatabaseObject = z.infer<typeof databaseObject>;

/** The objects an in-place restore dropped (or would drop): all counted, the first 1000 named. */
export const droppedObjects = z.object({
  total: z.number().int().nonnegative().describe('how many objects'),
  objects: z.array(databaseObject).max(1000).describe('the first 1000 of them, dependants first'),
});
export type DroppedObjects = z.infer<typeof droppedObjects>;
export const droppedObjectsListed = 1000;

/** What an in-place restore must leave standing: what the backup left out on purpose is not "not in the backup". Pure. */
export function keptFromExclusions(excluded: readonly ExcludedObject[] | undefined): DatabaseObject[] {
  return (excluded ?? []).map((object) =>
    object.kind === 'large_objects' ? { kind: 'large_object', schema: null, name: '*' } : object.kind === 'schema' ? { kind: 'schema', schema: null, name: object.name } : { kind: object.kind, schema: object.schema, name: object.name },
  );
}

/** How a person reads the list: `will drop 2 objects not in the backup: table public.audit, view public.recent`. */
export function describeDrops(objects: readonly DatabaseObject[], total: number = objects.length, shown = 10): string {
  if (total === 0) return 'drops nothing: every object in the database is in the backup';
  const names = objects.slice(0, shown).map(describeObject);
  const more = total > names.length ? `, and ${total - names.length} more` : '';
  return `will drop ${total} object${total === 1 ? '' : 's'} not in the backup: ${names.join(', ')}${more}`;
}

function describeObject(object: DatabaseObject): string {
  const what = object.kind.replace('_', ' ');
  return object.schema === null ? `${what} ${object.name}` : `${what} ${object.schema}.${object.name}`;
}
