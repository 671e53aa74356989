import type { ExcludedObject, Failure } from '../../contracts/index.js';

/** An object of the service's database that its user may not read, as the catalog reports it. */
export interface UnreadableObject {
  kind: 'schema' | 'table' | 'sequence' | 'large_object';
  schema: string;
  name: string;
  owner: string;
  /** The privilege pg_dump needs and the user lacks. */
  privilege: 'USAGE' | 'SELECT';
}

/**
 * The finding a person can act on when the service's user cannot read everything pg_dump must
 * read (common in managed databases, where another role owns some tables): every object named
 * with the privilege missing and its owner, and the grant that mends it. Pure.
 */
export function unreadableFailure(objects: readonly UnreadableObject[], who: { user: string; database: string }): Failure | null {
  if (objects.length === 0) return null;
  // Schemas first (one grant there may cover the rest), then tables, then sequences.
  const sorted = [...objects].sort((a, b) => kindOrder[a.kind] - kindOrder[b.kind]);
  const shown = sorted.slice(0, 10).map((object) => `${object.kind.replace('_', ' ')} ${qualified(object)} (${object.privilege}, owned by ${object.owner})`);
  const more = objects.length > shown.length ? `, and ${objects.length - shown.length} more` : '';
  const first = sorted[0]!;
  const grant =
    first.kind === 'schema'
      ? `GRANT USAGE ON SCHEMA ${quoteIdent(first.name)} TO ${quoteIdent(who.user)}`
      : first.kind === 'large_object'
        ? `GRANT SELECT ON LARGE OBJECT ${first.name} TO ${quoteIdent(who.user)}`
        : `GRANT SELECT ON ${first.kind === 'sequence' ? 'SEQUENCE ' : ''}${quoteIdent(first.schema)}.${quoteIdent(first.name)} TO ${quoteIdent(who.user)}`;
  return {
    code: 'permission_denied',
    message: `user "${who.user}" cannot read ${objects.length} object${objects.length === 1 ? '' : 's'} of "${who.database}" that the backup must read: ${shown.join(', ')}${more}; grant the privilege (e.g. ${grant}) or back up as a user that has it. Nothing was dumped`,
  };
}

const kindOrder = { schema: 0, table: 1, sequence: 2, large_object: 3 } as const;

function qualified(object: UnreadableObject): string {
  return object.kind === 'schema' || object.kind === 'large_object' ? object.name : `${object.schema}.${object.name}`;
}

/** An identifier as SQL would need it written, for the suggested GRANT. */
function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/**
 * What the dump leaves out, or why it cannot go on: the relations the service's settings exclude
 * are left out whatever the user may read; what else it may not read fails the backup
 * (`unreadableFailure`), or with `skipUnreadable` is left out too. Large objects are all or
 * none for pg_dump: one unreadable leaves out every one. Pure.
 */
export function exclusionsOf(
  found: { unreadable: readonly UnreadableObject[]; largeObjects: number; configured: readonly ExcludedObject[] },
  skipUnreadable: boolean,
  who: { user: string; database: string },
): { excluded: ExcludedObject[] } | { failure: Failure } {
  const configured = new Set(found.configured.map((object) => `${object.schema ?? ''}\u0000${object.name}`));
  const unreadable = found.unreadable.filter((object) => object.kind === 'schema' || object.kind === 'large_object' || !configured.has(`${object.schema}\u0000${object.name}`));
  if (!skipUnreadable) {
    const failure = unreadableFailure(unreadable, who);
    if (failure) return { failure };
  }
  const excluded: ExcludedObject[] = [...found.configured];
  for (const object of unreadable) {
    if (object.kind === 'schema') excluded.push({ kind: 'schema', schema: null, name: object.name, reason: 'unreadable' });
    else if (object.kind === 'table') excluded.push({ kind: 'table', schema: object.schema, name: object.name, reason: 'unreadable' });
    else if (object.kind === 'sequence') {
      excluded.push({
        kind: 'sequence',
        schema: object.schema,
        name: object.name,
        reason: 'unreadable',
        detail: 'its current value is not in the backup; if a table in the backup owns it (a serial column), its definition is, and it restarts at its start value',
      });
    }
  }
  const unreadableLargeObjects = unreadable.filter((object) => object.kind === 'large_object');
  if (unreadableLargeObjects.length > 0) {
    excluded.push({
      kind: 'large_objects',
      schema: null,
      name: `${found.largeObjects} large object${found.largeObjects === 1 ? '' : 's'}`,
      reason: 'unreadable',
      detail: `pg_dump leaves out all large objects or none; the user cannot read ${unreadableLargeObjects.length >= 1000 ? 'at least 1000' : unreadableLargeObjects.length} (${unreadableLargeObjects
        .slice(0, 10)
        .map((object) => object.name)
        .join(', ')}${unreadableLargeObjects.length > 10 ? ', …' : ''})`,
    });
  }
  return { excluded };
}
