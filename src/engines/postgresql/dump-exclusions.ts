import type { ExcludedObject } from '../../contracts/index.js';

/**
 * One part of a pg_dump name pattern that matches exactly `name`. pg_dump reads `*`, `?` and `.`
 * as wildcards and separators only outside double quotes, folds case only there, and escapes
 * every regular-expression character inside them; a `"` inside quotes is written `""`. So a
 * quoted part matches the name literally, whatever it holds (`a*b`, `x"y`, `.`).
 */
export function quotedPatternPart(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The pg_dump pattern (`-t`, `-T`, `--exclude-table-data`) that matches exactly `schema.name`. */
export function exactRelationPattern(schema: string, name: string): string {
  return `${quotedPatternPart(schema)}.${quotedPatternPart(name)}`;
}

/**
 * pg_dump's arguments that leave out what the backup excludes, each by an exact pattern.
 * A sequence is left out with both `--exclude-table` and `--exclude-table-data`: pg_dump dumps a
 * sequence that a dumped table owns (a serial column's) whatever `--exclude-table` says, and only
 * the second keeps it from reading the sequence's current value. Large objects are all or none:
 * `--no-large-objects` (pg_dump 16 and newer; `--no-blobs` before, the same option).
 */
export function exclusionArgs(excluded: readonly ExcludedObject[], tool: { major: number }): string[] {
  const args: string[] = [];
  for (const object of excluded) {
    switch (object.kind) {
      case 'schema':
        args.push(`--exclude-schema=${quotedPatternPart(object.name)}`);
        break;
      case 'sequence': {
        const pattern = exactRelationPattern(object.schema ?? '', object.name);
        args.push(`--exclude-table=${pattern}`, `--exclude-table-data=${pattern}`);
        break;
      }
      case 'large_objects':
        args.push(tool.major >= 16 ? '--no-large-objects' : '--no-blobs');
        break;
      default:
        args.push(`--exclude-table=${exactRelationPattern(object.schema ?? '', object.name)}`);
    }
  }
  return args;
}
