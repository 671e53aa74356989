import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, call, seedProject, startTestControlPlane, succeededTestBackup, type TestControlPlane } from '../support/control-plane.js';

/**
 * Every route of the API, called the ways an attacker or a broken client would: without a
 * token, with another project's token, with malformed, oversized and hostile input. Each gets
 * its documented error, and nothing is written.
 */
/** Every call the sweep makes, and how many were refused: the figures RELIABILITY.md reports. */
const tally = { tried: 0, refused: 0 };
const sweepCall: typeof call = async (...args) => {
  const response = await call(...args);
  tally.tried++;
  if (response.status >= 400) tally.refused++;
  return response;
};

describe('security sweep over every route', () => {
  let cp: TestControlPlane;
  let victim: { projectId: string; ownerToken: string; serviceId: string; backupId: string; tokenId: string };
  let intruderToken: string;
  /** Owner tokens of the victim's project that no longer answer. */
  let revokedToken: string;
  let expiredToken: string;
  let routes: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string }[];

  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
    const a = await seedProject(cp.app, 'victim');
    const backupId = await succeededTestBackup(cp, a);
    const member = await call(cp.app, 'POST', `/v1/projects/${a.projectId}/tokens`, { token: a.ownerToken, body: { role: 'member' } });
    victim = { ...a, backupId, tokenId: member.body.id };
    const revoked = await call(cp.app, 'POST', `/v1/projects/${a.projectId}/tokens`, { token: adminToken, body: { role: 'owner' } });
    expect((await call(cp.app, 'DELETE', `/v1/tokens/${revoked.body.id}`, { token: a.ownerToken })).status).toBe(204);
    revokedToken = revoked.body.token;
    const expired = await call(cp.app, 'POST', `/v1/projects/${a.projectId}/tokens`, { token: adminToken, body: { role: 'owner', expiresInDays: 1 } });
    // A day passing, on the database's clock that every replica checks expiry against.
    await cp.plane.db.updateTable('project_tokens').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', expired.body.id).execute();
    expiredToken = expired.body.token;
    intruderToken = (await seedProject(cp.app, 'intruder')).ownerToken;
    const document = (await call(cp.app, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .map((method) => method.toUpperCase())
        .filter((method): method is 'GET' | 'POST' | 'PUT' | 'DELETE' => ['GET', 'POST', 'PUT', 'DELETE'].includes(method))
        .map((method) => ({ method, path })),
    );
  });
  afterAll(async () => {
    // Every case asserts its own refusal and an unchanged database; this line is for the record.
    console.info(`security sweep: ${tally.tried} hostile calls, ${tally.refused} refused, ${tally.tried - tally.refused} answered (an intruder reading its own audit log)`);
    await cp?.close();
  });

  /** Row counts of every control-plane table: a refused request must not change any. */
  async function snapshot(): Promise<Record<string, number>> {
    const tables = ['projects', 'project_tokens', 'services', 'backups', 'restores', 'schedules', 'webhooks', 'outbox', 'inbox', 'audit_events', 'settings'];
    const counts: Record<string, number> = {};
    for (const table of tables) counts[table] = Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(`control.${table}`)}`.execute(cp.plane.db)).rows[0]!.n);
    return counts;
  }
  const fill = (path: string, ids: Partial<Record<string, string>>) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? (name === 'restoreId' ? 'rst_0000000000000000' : name === 'webhookId' ? 'whk_0000000000000000' : 'x')) +
    // A route whose query is required gets a valid one: what is swept is who may ask.
    (path.endsWith('/restore-plan') ? '?target=in_place' : '');
  const victimIds = () => ({ projectId: victim.projectId, serviceId: victim.serviceId, backupId: victim.backupId, tokenId: victim.tokenId });
  const validBody = (path: string, method: string): unknown => {
    if (path.endsWith('/restores')) return { target: { kind: 'new_database', database: 'stolen' } };
    if (path.endsWith('/services')) return { name: 'evil', engine: 'postgresql', connection: { host: 'h', database: 'd', user: 'u', password: 'p' } };
    if (path.endsWith('/tokens')) return { role: 'owner' };
    if (path.endsWith('/schedule')) return { cron: '* * * * *' };
    if (path.endsWith('/schedule/check')) return { cron: '0 3 * * *' };
    if (method === 'PATCH' && path.endsWith('/services/{serviceId}')) return { name: 'evil' };
    if (path.endsWith('/webhooks')) return { url: 'http://attacker.example/hook' };
    if (path.endsWith('/projects')) return { name: 'evil' };
    if (path.endsWith('/kill-switch')) return { engaged: true, reason: 'x' };
    return method === 'POST' || method === 'PUT' ? {} : undefined;
  };
  const isPublic = (path: string) => path.startsWith('/v1/downloads/');

  it('covers every /v1 route of the OpenAPI document', () => {
    expect(routes.filter((route) => route.path.startsWith('/v1/')).length).toBeGreaterThan(30);
  });

  it('answers 401 to every route called without a token, writing nothing', async () => {
    const before = await snapshot();
    for (const route of routes.filter((candidate) => candidate.path.startsWith('/v1/') && !isPublic(candidate.path))) {
      const response = await sweepCall(cp.app, route.method, fill(route.path, victimIds()), { body: validBody(route.path, route.method) });
      expect(response.status, `${route.method} ${route.path}`).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
    }
    expect(await snapshot()).toEqual(before);
  });

  it("answers 401 to every route called with the project's revoked or expired owner token, writing nothing", async () => {
    const before = await snapshot();
    for (const token of [revokedToken, expiredToken]) {
      for (const route of routes.filter((candidate) => candidate.path.startsWith('/v1/') && !isPublic(candidate.path))) {
        const response = await sweepCall(cp.app, route.method, fill(route.path, victimIds()), { token, body: validBody(route.path, route.method) });
        expect(response.status, `${route.method} ${route.path} with the ${token === revokedToken ? 'revoked' : 'expired'} token`).toBe(401);
        expect(response.body.error.code).toBe('unauthorized');
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it("hides another project's objects: 404 (or 403 for operator routes), writing nothing", async () => {
    const before = await snapshot();
    for (const route of routes.filter((candidate) => candidate.path.startsWith('/v1/') && !isPublic(candidate.path))) {
      if (route.path === '/v1/audit' || route.path === '/v1/capabilities' || route.path === '/v1/whoami' || route.path === '/v1/events') continue;
      const response = await sweepCall(cp.app, route.method, fill(route.path, victimIds()), { token: intruderToken, body: validBody(route.path, route.method) });
      const expected = route.path.startsWith('/v1/admin/') || route.path === '/v1/projects' ? 403 : 404;
      expect(response.status, `${route.method} ${route.path}: ${JSON.stringify(response.body)}`).toBe(expected);
    }
    // The audit log and live events are scoped to the caller's own project.
    const audit = await sweepCall(cp.app, 'GET', `/v1/audit?projectId=${victim.projectId}`, { token: intruderToken });
    expect(audit.status).toBe(404);
    const own = await sweepCall(cp.app, 'GET', '/v1/audit', { token: intruderToken });
    expect(own.body.entries.every((entry: { projectId: string }) => entry.projectId !== victim.projectId)).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses malformed and oversized bodies with 400 and 413, writing nothing', async () => {
    const before = await snapshot();
    for (const route of routes.filter((candidate) => candidate.path.startsWith('/v1/') && (candidate.method === 'POST' || candidate.method === 'PUT') && !isPublic(candidate.path))) {
      const path = fill(route.path, victimIds());
      const malformed = await sweepCall(cp.app, route.method, path, { token: adminToken, body: '{"not json' });
      expect(malformed.status, `${route.method} ${route.path}`).toBe(400);
      expect(malformed.body.error.code).toBe('invalid_request');
      const oversized = await sweepCall(cp.app, route.method, path, { token: adminToken, body: JSON.stringify({ padding: 'x'.repeat(200_000) }) });
      expect(oversized.status, `${route.method} ${route.path}`).toBe(413);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses path traversal and malformed ids in every id parameter, writing nothing', async () => {
    const before = await snapshot();
    const hostile = ['..%2F..%2Fetc%2Fpasswd', 'bkp_%00', 'svc_00000000000000000000000000', '%3B%20rm%20-rf%20%2F'];
    for (const route of routes.filter((candidate) => /\{\w+Id\}/.test(candidate.path) && candidate.path.startsWith('/v1/'))) {
      for (const value of hostile) {
        const path = route.path.replace(/\{\w+Id\}/g, value);
        const response = await sweepCall(cp.app, route.method, path, { token: adminToken, body: validBody(route.path, route.method) });
        expect([400, 404], `${route.method} ${path}: ${response.status}`).toContain(response.status);
        expect(response.body?.error?.code).toMatch(/^(invalid_request|not_found)$/);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses shell metacharacters and option-like values in names and connection fields', async () => {
    const before = await snapshot();
    const connection = { host: 'db.internal', port: 5432, database: 'app', user: 'app', password: 'pw' };
    for (const body of [
      { name: 'a;rm -rf /', engine: 'postgresql', connection },
      { name: '$(reboot)', engine: 'postgresql', connection },
      { name: 'ok', engine: 'postgresql', connection: { ...connection, host: 'db`id`' } },
      { name: 'ok', engine: 'postgresql', connection: { ...connection, host: '-oProxyCommand=x' } },
      { name: 'ok', engine: 'postgresql', connection: { ...connection, database: '--schema-only' } },
      { name: 'ok', engine: 'postgresql', connection: { ...connection, user: '-U\nroot' } },
      { name: '../../etc', engine: 'postgresql', connection },
    ]) {
      const response = await sweepCall(cp.app, 'POST', `/v1/projects/${victim.projectId}/services?skipCheck=true`, { token: victim.ownerToken, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('invalid_request');
    }
    const restore = await sweepCall(cp.app, 'POST', `/v1/backups/${victim.backupId}/restores`, { token: victim.ownerToken, body: { target: { kind: 'new_database', database: 'x; DROP DATABASE postgres' } } });
    expect(restore.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });
});
