import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, call, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

/**
 * The API alone, with no orchestrator to answer: a registration waits for its connection
 * check for the configured bound, then answers 504 check_timed_out and saves nothing; the
 * check and its command were recorded together (one transaction), for an orchestrator to pick up.
 */
describe('a connection check nobody answers', () => {
  let cp: TestControlPlane;
  let projectId: string;
  let ownerToken: string;

  beforeAll(async () => {
    cp = await startTestControlPlane('pglite', { connectionCheckWaitSeconds: 1 });
    projectId = (await call(cp.app, 'POST', '/v1/projects', { token: adminToken, body: { name: 'waiting' } })).body.id;
    ownerToken = (await call(cp.app, 'POST', `/v1/projects/${projectId}/tokens`, { token: adminToken, body: { role: 'owner' } })).body.token;
  });
  afterAll(async () => cp?.close());

  it('answers 504 check_timed_out after the bound, and saves no service', async () => {
    const started = Date.now();
    const answer = await call(cp.app, 'POST', `/v1/projects/${projectId}/services`, {
      token: ownerToken,
      body: { name: 'orders-db', engine: 'postgresql', connection: { host: '127.0.0.1', port: 5432, database: 'orders', user: 'app', password: 's3cret-pw' } },
    });
    expect(answer.status).toBe(504);
    expect(answer.body.error.code).toBe('check_timed_out');
    expect(answer.body.error.message).toContain('skipCheck=true');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await cp.plane.db.selectFrom('services').selectAll().execute()).toEqual([]);
    const checks = await cp.plane.db.selectFrom('connection_checks').selectAll().execute();
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ status: 'requested', for_registration: true, database_name: 'orders' });
    const commands = await cp.plane.db.selectFrom('outbox').select(['type', 'message']).where('type', '=', 'check.requested').execute();
    expect(commands).toHaveLength(1);
    expect(JSON.stringify(commands[0]!.message)).not.toContain('s3cret-pw');
  });

  it('still saves at once with ?skipCheck=true', async () => {
    const answer = await call(cp.app, 'POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
      token: ownerToken,
      body: { name: 'orders-db', engine: 'postgresql', connection: { host: '127.0.0.1', port: 5432, database: 'orders', user: 'app', password: 's3cret-pw' } },
    });
    expect(answer.status).toBe(201);
  });
});
