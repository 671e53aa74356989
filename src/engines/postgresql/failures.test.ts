import { describe, expect, it } from 'vitest';
import { failureFromClientError, failureFromDumpOutput } from './failures.js';
import { redact } from '../../agent/redact.js';

const connection = { host: 'db.internal', port: 5432, database: 'shop', user: 'app' };

describe('failures from the pre-flight connection', () => {
  it('maps SQLSTATEs and socket errors to codes with advice', () => {
    const cases: [unknown, string][] = [
      [Object.assign(new Error('password authentication failed for user "app"'), { code: '28P01' }), 'auth_failed'],
      [Object.assign(new Error('role "app" does not exist'), { code: '28000' }), 'auth_failed'],
      [Object.assign(new Error('database "shop" does not exist'), { code: '3D000' }), 'database_not_found'],
      [Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'connection_refused'],
      [Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), { code: 'ENOTFOUND' }), 'host_not_found'],
      [new Error('Connection terminated due to connection timeout'), 'connection_timeout'],
      [new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string'), 'auth_failed'],
    ];
    for (const [error, code] of cases) expect(failureFromClientError(error, connection).code).toBe(code);
    expect(failureFromClientError(Object.assign(new Error('x'), { code: '28P01' }), connection).message).toBe(
      'password authentication failed for user "app" at db.internal:5432; check the service\'s user and password',
    );
  });

  it('keeps the original text for what it does not recognise', () => {
    expect(failureFromClientError(new Error('the sky fell\nsecond line'), connection)).toEqual({
      code: 'dump_failed',
      message: 'the backup of "shop" at db.internal:5432 failed: the sky fell',
    });
  });
});

describe('failures from pg_dump', () => {
  it('recognises its messages', () => {
    const cases: [string, string][] = [
      ['pg_dump: error: connection to server at "db.internal" (10.0.0.1), port 5432 failed: FATAL:  password authentication failed for user "app"', 'auth_failed'],
      ['pg_dump: error: connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server running on that host?', 'connection_refused'],
      ['pg_dump: error: could not translate host name "nope.invalid" to address: Name or service not known', 'host_not_found'],
      ['pg_dump: error: query failed: ERROR:  permission denied for table secrets', 'permission_denied'],
      ['pg_dump: error: Dumping the contents of table "t" failed: PQgetResult() failed.\npg_dump: error: server closed the connection unexpectedly', 'connection_lost'],
      ['pg_dump: error: aborting because of server version mismatch', 'dump_tool_version_mismatch'],
    ];
    for (const [stderr, code] of cases) expect(failureFromDumpOutput(stderr, connection).code).toBe(code);
    expect(failureFromDumpOutput('pg_dump: error: query failed: ERROR:  permission denied for table secrets', connection).message).toContain('permission denied for table secrets');
  });

  it('falls back to dump_failed with its error line', () => {
    expect(failureFromDumpOutput('pg_dump: warning: x\npg_dump: error: out of memory\n', connection)).toEqual({
      code: 'dump_failed',
      message: 'the backup of "shop" at db.internal:5432 failed: out of memory',
    });
    expect(failureFromDumpOutput('', connection).message).toContain('without saying why');
  });
});

describe('redaction', () => {
  it('removes every occurrence of every secret', () => {
    expect(redact('pw=hunter2 again hunter2', ['hunter2'])).toBe('pw=[redacted] again [redacted]');
    expect(redact('nothing here', ['hunter2', undefined, ''])).toBe('nothing here');
  });
});

describe('lock waits', () => {
  it('names a lock wait that ran out, from pg_dump and from the pre-flight session', () => {
    const stderr = 'pg_dump: error: query failed: ERROR:  canceling statement due to lock timeout\npg_dump: detail: Query was: LOCK TABLE public.orders IN ACCESS SHARE MODE\n';
    const failure = failureFromDumpOutput(stderr, connection);
    expect(failure.code).toBe('lock_timeout');
    expect(failure.message).toContain('(waiting for public.orders)');
    expect(failureFromClientError(Object.assign(new Error('canceling statement due to lock timeout'), { code: '55P03' }), connection).code).toBe('lock_timeout');
    const dumpWait = 'pg_dump: error: query failed: ERROR:  canceling statement due to statement timeout\npg_dump: detail: Query was: LOCK TABLE public.orders IN ACCESS SHARE MODE\n';
    expect(failureFromDumpOutput(dumpWait, connection)).toMatchObject({ code: 'lock_timeout', message: expect.stringContaining('public.orders') });
    expect(failureFromDumpOutput('pg_dump: error: query failed: ERROR:  canceling statement due to statement timeout\n', connection).code).toBe('dump_failed');
  });
});
