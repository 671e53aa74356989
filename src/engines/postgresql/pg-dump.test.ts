import { describe, expect, it } from 'vitest';
import { checkPgDumpVersion, parsePgDumpVersion, pgDumpArgs, serverMajorOf } from './pg-dump.js';

const target = { host: 'db.internal', address: '10.0.0.7', port: 5433, database: 'shop', user: 'app' };

describe('pg_dump arguments', () => {
  it('asks for the custom format, connects by one quoted connection string and never carries a password', () => {
    const args = pgDumpArgs(target);
    expect(args).toEqual(['--format=custom', '--no-password', "--dbname=host='db.internal' hostaddr='10.0.0.7' port='5433' dbname='shop' user='app'"]);
    expect(args.join(' ')).not.toMatch(/password=|postgres:\/\//);
  });

  it('dumps from an exported snapshot, and gives up on a lock after the wait it is given', () => {
    const args = pgDumpArgs(target, { snapshot: '00000003-0000001B-1', lockWaitTimeoutMs: 120_000 });
    expect(args.slice(-2)).toEqual(['--lock-wait-timeout=120000', '--snapshot=00000003-0000001B-1']);
  });

  it('keeps hostile names inside their quotes, never as settings or extra options', () => {
    const args = pgDumpArgs({ ...target, database: "b host=evil port=1 ' x\\", user: '--help' });
    expect(args).toHaveLength(3);
    expect(args[2]).toBe("--dbname=host='db.internal' hostaddr='10.0.0.7' port='5433' dbname='b host=evil port=1 \\' x\\\\' user='--help'");
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
      code: 'dump_tool_version_mismatch',
      message: 'pg_dump 9.6 is older than the server (PostgreSQL 15.20); the agent needs pg_dump 15 or newer',
    });
  });
});
