import { describe, expect, it } from 'vitest';
import { checkPgDumpVersion, parsePgDumpVersion, pgDumpArgs, serverMajorOf } from './pg-dump.js';

describe('pg_dump arguments', () => {
  it('asks for the custom format and never carries a password', () => {
    const args = pgDumpArgs({ host: 'db.internal', port: 5433, database: 'shop', user: 'app' });
    expect(args).toEqual(['--format=custom', '--no-password', '--host=db.internal', '--port=5433', '--username=app', '--dbname=shop']);
    expect(args.join(' ')).not.toMatch(/password=|postgres:\/\//);
  });

  it('dumps from an exported snapshot when given one', () => {
    expect(pgDumpArgs({ host: 'h', port: 1, database: 'd', user: 'u' }, { snapshot: '00000003-0000001B-1' }).at(-1)).toBe('--snapshot=00000003-0000001B-1');
  });

  it('keeps odd names as single arguments, never as extra options', () => {
    const args = pgDumpArgs({ host: 'h', port: 1, database: 'my db; drop', user: 'u' });
    expect(args).toContain('--dbname=my db; drop');
    expect(args).toHaveLength(6);
  });
});

describe('versions', () => {
  it('reads pg_dump --version output', () => {
    expect(parsePgDumpVersion('pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n')).toEqual({ major: 15, text: '15.20' });
    expect(parsePgDumpVersion('pg_dump (PostgreSQL) 9.6.24')).toEqual({ major: 9.6, text: '9.6' });
    expect(parsePgDumpVersion('pg_dump (PostgreSQL) 16beta1')).toEqual({ major: 16, text: '16beta1' });
    expect(parsePgDumpVersion('something else')).toBeNull();
  });

  it('reads server_version_num', () => {
    expect(serverMajorOf(150020)).toBe(15);
    expect(serverMajorOf(180001)).toBe(18);
    expect(serverMajorOf(90624)).toBe(9.6);
  });

  it('accepts a pg_dump at least as new as the server and names both versions otherwise', () => {
    expect(checkPgDumpVersion({ major: 15, text: '15.20' }, { major: 15, text: '15.4' })).toBeNull();
    expect(checkPgDumpVersion({ major: 17, text: '17.1' }, { major: 15, text: '15.4' })).toBeNull();
    expect(checkPgDumpVersion({ major: 9.6, text: '9.6' }, { major: 15, text: '15.20' })).toEqual({
      code: 'pg_dump_version_mismatch',
      message: 'pg_dump 9.6 is older than the server (PostgreSQL 15.20); the agent needs pg_dump 15 or newer',
    });
  });
});
