import { describe, expect, it } from 'vitest';
import { describeDrops, keptFromExclusions } from '../../contracts/index.js';
import { droppable, dropScript, objectsNotInBackup, tableOfContentsEntries } from './restore-drops.js';

// `pg_restore --list` of a small backup, as pg_restore 15 prints it.
const listing = `;
; Archive created at 2026-12-07 20:45:01 UTC
;
7; 2615 16550 SCHEMA - s1 app
2; 3079 16581 EXTENSION - pg_trgm 
893; 1247 16571 TYPE public mood app
226; 1255 16578 FUNCTION public f(integer, text) app
219; 1259 16559 TABLE public t app
220; 1259 16562 VIEW public v app
218; 1259 16553 TABLE s1 a b app
3435; 0 16559 TABLE DATA public t app
3447; 0 0 SEQUENCE SET public free_seq app
4000; 2613 16600 BLOB - 16600 app
`;

const row = (kind: Parameters<typeof droppable>[0]['kind'], schema: string | null, name: string, args: string | null = null) => droppable({ kind, schema, name, arguments: args });

describe('what an in-place restore drops', () => {
  const entries = tableOfContentsEntries(listing);

  it('reads the definitions of the table of contents, not its data entries', () => {
    expect(entries).toContain('TABLE public t app ');
    expect(entries).toContain('TABLE s1 a b app ');
    expect(entries.some((entry) => entry.startsWith('TABLE DATA') || entry.startsWith('SEQUENCE SET'))).toBe(false);
  });

  it('drops what the database has and the backup lacks, dependants first, schemas last', () => {
    const inDatabase = [row('schema', null, 'added'), row('table', 'public', 't'), row('table', 'public', 'audit'), row('view', 'public', 'v'), row('view', 'public', 'recent'), row('table', 's1', 'a b'), row('type', 'public', 'mood'), row('domain', 'public', 'positive')];
    const drops = objectsNotInBackup(inDatabase, entries, []);
    expect(drops.map((object) => `${object.kind} ${object.schema}.${object.name}`)).toEqual(['view public.recent', 'table public.audit', 'domain public.positive', 'schema null.added']);
  });

  it('tells functions apart by their arguments', () => {
    const drops = objectsNotInBackup([row('function', 'public', 'f', 'integer, text'), row('function', 'public', 'f', 'integer')], entries, []);
    expect(drops.map((object) => object.name)).toEqual(['f(integer)']);
    expect(drops[0]!.drop).toBe('DROP FUNCTION IF EXISTS "public"."f"(integer) CASCADE;');
  });

  it('does not confuse a name with one that has it as a prefix', () => {
    // "a" is not "a b": only a name followed by the owner's separator matches.
    expect(objectsNotInBackup([row('table', 's1', 'a')], entries, []).map((object) => object.name)).toEqual(['a']);
    expect(objectsNotInBackup([row('table', 'public', 'tt')], entries, []).map((object) => object.name)).toEqual(['tt']);
  });

  it('quotes every name in the DROP statements', () => {
    const drops = objectsNotInBackup([row('table', 'we"ird', 'x; DROP DATABASE y'), row('schema', null, 'Neu')], entries, []);
    expect(dropScript(drops)).toBe('DROP TABLE IF EXISTS "we""ird"."x; DROP DATABASE y" CASCADE;\nDROP SCHEMA IF EXISTS "Neu" CASCADE;\n');
  });

  it('unlinks large objects the backup lacks, in either listing format', () => {
    const grouped = [...entries, 'BLOB METADATA - 17000..17010 app '];
    const drops = objectsNotInBackup([row('large_object', null, '16600'), row('large_object', null, '16601'), row('large_object', null, '17005')], grouped, []);
    expect(drops.map((object) => object.drop)).toEqual(['SELECT pg_catalog.lo_unlink(16601);']);
  });

  it('leaves standing what the backup left out on purpose', () => {
    const keep = keptFromExclusions([
      { kind: 'table', schema: 'public', name: 'secret', reason: 'unreadable' },
      { kind: 'schema', schema: null, name: 'private', reason: 'configured' },
      { kind: 'large_objects', schema: null, name: '3', reason: 'unreadable' },
    ]);
    const inDatabase = [row('table', 'public', 'secret'), row('schema', null, 'private'), row('table', 'private', 'notes'), row('large_object', null, '1'), row('table', 'public', 'fresh')];
    expect(objectsNotInBackup(inDatabase, entries, keep).map((object) => object.name)).toEqual(['fresh']);
  });

  it('says what it will drop in words', () => {
    const drops = objectsNotInBackup([row('table', 'public', 'audit'), row('view', 'public', 'recent')], entries, []);
    expect(describeDrops(drops)).toBe('will drop 2 objects not in the backup: view public.recent, table public.audit');
    expect(describeDrops([])).toBe('drops nothing: every object in the database is in the backup');
    expect(describeDrops(drops.slice(0, 1), 12)).toBe('will drop 12 objects not in the backup: view public.recent, and 11 more');
    expect(describeDrops([{ kind: 'large_object', schema: null, name: '16601' }])).toBe('will drop 1 object not in the backup: large object 16601');
  });
});
