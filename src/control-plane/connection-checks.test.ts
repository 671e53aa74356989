import { describe, expect, it } from 'vitest';
import { checkFailedError, checkResultOf, type CheckRow } from './connection-checks.js';

const row = (change: Partial<CheckRow>): CheckRow => ({
  id: 'chk_0000000000000000',
  project_id: 'prj_1',
  service_id: 'svc_1',
  for_registration: false,
  host: 'db',
  port: 5432,
  database_name: 'orders',
  username: 'app',
  status: 'requested',
  failure_code: null,
  failure_message: null,
  server_version: null,
  tool_version: null,
  warnings: [],
  drops: null,
  requested_by: 'admin',
  requested_at: new Date('2026-01-01T00:00:00Z'),
  finished_at: null,
  ...change,
});

describe('a connection check verdict', () => {
  it('has none while the check is requested', () => {
    expect(checkResultOf(row({}))).toBeUndefined();
  });

  it('is ok with the versions, or failed with the code and message', () => {
    const finished_at = new Date('2026-01-01T00:00:02Z');
    expect(checkResultOf(row({ status: 'succeeded', finished_at, server_version: '16.4', tool_version: '17.2' }))).toEqual({
      id: 'chk_0000000000000000',
      result: 'ok',
      failure: null,
      serverVersion: '16.4',
      toolVersion: '17.2',
      warnings: [],
      checkedAt: '2026-01-01T00:00:02.000Z',
    });
    expect(checkResultOf(row({ status: 'failed', finished_at, failure_code: 'auth_failed', failure_message: 'wrong password' }))).toMatchObject({
      result: 'failed',
      failure: { code: 'auth_failed', message: 'wrong password' },
    });
  });

  it('becomes a 422 with the failure code when it stops a save, except for codes the API already answers otherwise', () => {
    const refused = checkFailedError({ code: 'permission_denied', message: 'cannot read table x' });
    expect([refused.status, refused.code]).toEqual([422, 'permission_denied']);
    expect(refused.message).toContain('cannot read table x');
    expect(checkFailedError({ code: 'target_not_allowed', message: 'no' }).status).toBe(400);
  });
});
