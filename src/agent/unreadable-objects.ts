import type { Failure } from '../contracts/index.js';

/** An object of the service's database that its user may not read, as the catalog reports it. */
export interface UnreadableObject {
  kind: 'schema' | 'table' | 'sequence';
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
  const shown = sorted.slice(0, 10).map((object) => `${object.kind} ${qualified(object)} (${object.privilege}, owned by ${object.owner})`);
  const more = objects.length > shown.length ? `, and ${objects.length - shown.length} more` : '';
  const first = sorted[0]!;
  const grant =
    first.kind === 'schema'
      ? `GRANT USAGE ON SCHEMA ${quoteIdent(first.name)} TO ${quoteIdent(who.user)}`
      : `GRANT SELECT ON ${first.kind === 'sequence' ? 'SEQUENCE ' : ''}${quoteIdent(first.schema)}.${quoteIdent(first.name)} TO ${quoteIdent(who.user)}`;
  return {
    code: 'permission_denied',
    message: `user "${who.user}" cannot read ${objects.length} object${objects.length === 1 ? '' : 's'} of "${who.database}" that the backup must read: ${shown.join(', ')}${more}; grant the privilege (e.g. ${grant}) or back up as a user that has it. Nothing was dumped`,
  };
}

const kindOrder = { schema: 0, table: 1, sequence: 2 } as const;

function qualified(object: UnreadableObject): string {
  return object.kind === 'schema' ? object.name : `${object.schema}.${object.name}`;
}

/** An identifier as SQL would need it written, for the suggested GRANT. */
function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
