import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, type TestDatabase } from '../../../test/support/postgres.js';
import { exactRelationPattern, exclusionArgs, quotedPatternPart } from './dump-exclusions.js';

describe('exclusion patterns', () => {
  it('quote every name, doubling its quotes', () => {
    expect(quotedPatternPart('orders')).toBe('"orders"');
    expect(quotedPatternPart('x"y')).toBe('"x""y"');
    expect(exactRelationPattern('s.t', 'a*b')).toBe('"s.t"."a*b"');
  });

  it('leave a sequence out with its data, a schema by --exclude-schema, large objects by the option of the pg_dump at hand', () => {
    expect(
      exclusionArgs(
        [
          { kind: 'schema', schema: null, name: 'Hidden', reason: 'unreadable' },
          { kind: 'table', schema: 'public', name: 'audit', reason: 'configured' },
          { kind: 'sequence', schema: 'public', name: 'n', reason: 'unreadable' },
          { kind: 'large_objects', schema: null, name: '3 large objects', reason: 'unreadable' },
        ],
        { major: 15 },
      ),
    ).toEqual(['--exclude-schema="Hidden"', '--exclude-table="public"."audit"', '--exclude-table="public"."n"', '--exclude-table-data="public"."n"', '--no-blobs']);
    expect(exclusionArgs([{ kind: 'large_objects', schema: null, name: '1 large object', reason: 'unreadable' }], { major: 16 })).toEqual(['--no-large-objects']);
  });
});

/**
 * Against the real pg_dump: each hostile name excluded leaves out exactly that table, never one
 * its pattern would match if pg_dump read it as a wildcard or folded its case.
 */
describe('exclusion patterns, as pg_dump reads them', () => {
  const hostile: [string, string][] = [
    ['public', 'a*b'],
    ['public', 'aXb'],
    ['public', 'a?b'],
    ['public', 'x"y'],
    ['public', '.'],
    ['public', 'a.b'],
    ['public', 'A'],
    ['public', 'a'],
    ['public', 'a b'],
    ['public', '$x|(y)[z]^+{}\\'],
    ['public', 'ünï'],
    ['s.t', 'q'],
    ['s', 't.q'],
  ];
  let database: TestDatabase;
  let tool: { major: number };

  beforeAll(async () => {
    database = await createTestDatabase('exclusions');
    const statements = ['CREATE SCHEMA "s.t"', 'CREATE SCHEMA s'];
    for (const [schema, name] of hostile) statements.push(`CREATE TABLE ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)} (id int)`);
    await database.query(statements.join(';\n'));
    const { stdout } = await promisify(execFile)('pg_dump', ['--version']);
    tool = { major: Number(/\(PostgreSQL\)\s+(\d+)/.exec(stdout)?.[1]) };
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function dumpedTables(args: string[]): Promise<string[]> {
    const { stdout } = await promisify(execFile)(
      'pg_dump',
      ['--schema-only', '--no-password', `--host=${postgresHost}`, `--port=${postgresPort}`, `--username=${postgresUser}`, `--dbname=${database.name}`, ...args],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    // pg_dump writes names as quote_ident does: the server says how each of ours looks.
    const { rows } = await database.query(
      `SELECT n.nspname AS schema, c.relname AS name, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS written
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname IN ('public', 's', 's.t')`,
    );
    return (rows as { schema: string; name: string; written: string }[])
      .filter((row) => stdout.includes(`CREATE TABLE ${row.written} (`))
      .map((row) => `${row.schema}|${row.name}`)
      .sort();
  }

  it('dump every table when nothing is excluded', async () => {
    expect(await dumpedTables([])).toHaveLength(hostile.length);
  });

  it.each(hostile)('leave out %s.%s and nothing else', async (schema, name) => {
    const dumped = await dumpedTables(exclusionArgs([{ kind: 'table', schema, name, reason: 'configured' }], tool));
    expect(dumped).toEqual(
      hostile
        .filter(([s, n]) => s !== schema || n !== name)
        .map(([s, n]) => `${s}|${n}`)
        .sort(),
    );
  });

  it('leave out a whole schema by its exact name', async () => {
    const dumped = await dumpedTables(exclusionArgs([{ kind: 'schema', schema: null, name: 's.t', reason: 'unreadable' }], tool));
    expect(dumped).not.toContain('s.t|q');
    expect(dumped).toContain('s|t.q');
    expect(dumped).toHaveLength(hostile.length - 1);
  });
});
