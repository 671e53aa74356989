import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifeboatProcess, startLifeboat } from '../support/lifeboat-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const adminToken = 'lba_tokens-security-admin-token-0123456789';
const secretKey = 'the shared secret key of the token security tests 0123456789';
const failuresPerMinute = 5;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/**
 * One request over real HTTP, from the loopback address `from` (any 127.x.y.z works on Linux),
 * so that each case is its own client address for the failed-authentication limit. The path
 * is sent exactly as written: no URL class normalises it on the way.
 */
function send(base: string, from: string, method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<Answer> {
  const target = new URL(base);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path,
        localAddress: from,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let body: unknown = null;
          try {
            body = text === '' ? null : JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/**
 * Tokens against two real replicas on one real PostgreSQL: a `lifeboat serve` and a
 * `lifeboat api`. Revocation and expiry must hold on the very next request on both, since each
 * looks the token up in the platform database; the failed-authentication limit is per process
 * and per client address.
 */
describe('project tokens: list, revoke, expire, and the failed-authentication limit', () => {
  let platform: TestDatabase;
  let serve: LifeboatProcess;
  let api: LifeboatProcess;
  const dataDirs: string[] = [];
  let addresses = 10;
  /** A client address of its own for each case, so that one case's failures cannot limit another. */
  const nextAddress = () => `127.0.0.${addresses++}`;

  async function project(name: string, from: string): Promise<{ projectId: string; owner: { id: string; token: string } }> {
    const created = await send(serve.url, from, 'POST', '/v1/projects', { token: adminToken, body: { name } });
    expect(created.status).toBe(201);
    const owner = await send(serve.url, from, 'POST', `/v1/projects/${created.body.id}/tokens`, { token: adminToken, body: { role: 'owner' } });
    expect(owner.status).toBe(201);
    return { projectId: created.body.id, owner: { id: owner.body.id, token: owner.body.token } };
  }

  beforeAll(async () => {
    platform = await createTestDatabase('tokens');
    const common = { LIFEBOAT_DATABASE_URL: platform.url, LIFEBOAT_SECRET_KEY: secretKey, LIFEBOAT_ADMIN_TOKEN: adminToken, LIFEBOAT_AUTH_FAILURES_PER_MINUTE: String(failuresPerMinute) };
    for (let i = 0; i < 2; i++) dataDirs.push(await mkdtemp(join(tmpdir(), 'lifeboat-tokens-')));
    serve = await startLifeboat('serve', { ...common, LIFEBOAT_DATA_DIR: dataDirs[0]! });
    api = await startLifeboat('api', { ...common, LIFEBOAT_DATA_DIR: dataDirs[1]! });
  });
  afterAll(async () => {
    await api?.stop();
    await serve?.stop();
    await platform?.drop();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  it('lists a project\'s tokens with their dates and roles, never their secrets', async () => {
    const from = nextAddress();
    const { projectId, owner } = await project('listed', from);
    const viewer = await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: owner.token, body: { role: 'viewer', expiresInDays: 30 } });
    expect(viewer.status).toBe(201);
    expect(viewer.body).toMatchObject({ projectId, role: 'viewer', revokedAt: null, lastUsedAt: null });
    const days = (Date.parse(viewer.body.expiresAt) - Date.parse(viewer.body.createdAt)) / 86_400_000;
    expect(days).toBeCloseTo(30, 3);
    expect((await send(api.url, from, 'GET', '/v1/capabilities', { token: viewer.body.token })).status).toBe(200);

    const listed = await send(api.url, from, 'GET', `/v1/projects/${projectId}/tokens`, { token: owner.token });
    expect(listed.status).toBe(200);
    expect(listed.body.tokens.map((token: { id: string }) => token.id)).toEqual([owner.id, viewer.body.id]);
    const listedViewer = listed.body.tokens[1];
    expect(Object.keys(listedViewer).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'projectId', 'revokedAt', 'role']);
    expect(listedViewer).toMatchObject({ role: 'viewer', expiresAt: viewer.body.expiresAt, revokedAt: null });
    expect(Date.parse(listedViewer.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
    for (const secret of [owner.token, viewer.body.token]) expect(listed.text).not.toContain(secret);

    // Only owners and the operator see the list; out-of-range expiries are refused.
    expect((await send(serve.url, from, 'GET', `/v1/projects/${projectId}/tokens`, { token: viewer.body.token })).status).toBe(403);
    expect((await send(serve.url, from, 'GET', `/v1/projects/${projectId}/tokens`, { token: adminToken })).status).toBe(200);
    for (const expiresInDays of [0, 3651, 1.5, '7']) {
      const refused = await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: owner.token, body: { role: 'viewer', expiresInDays } });
      expect(refused.status, String(expiresInDays)).toBe(400);
      expect(refused.body.error.code).toBe('invalid_request');
    }
  });

  it('a revoked token answers 401 on the next request, on both replicas, and its revocation is audited', async () => {
    const from = nextAddress();
    const { projectId, owner } = await project('revoked', from);
    const member = await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: owner.token, body: { role: 'member' } });
    for (const replica of [serve, api]) expect((await send(replica.url, from, 'GET', `/v1/projects/${projectId}/services`, { token: member.body.token })).status).toBe(200);

    expect((await send(api.url, from, 'DELETE', `/v1/tokens/${member.body.id}`, { token: owner.token })).status).toBe(204);
    for (const replica of [serve, api]) {
      const refused = await send(replica.url, from, 'GET', `/v1/projects/${projectId}/services`, { token: member.body.token });
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('unauthorized');
    }
    // Revoking again changes nothing; the list shows when it was revoked.
    expect((await send(serve.url, from, 'DELETE', `/v1/tokens/${member.body.id}`, { token: owner.token })).status).toBe(204);
    const listed = await send(serve.url, from, 'GET', `/v1/projects/${projectId}/tokens`, { token: owner.token });
    expect(Date.parse(listed.body.tokens.find((token: { id: string }) => token.id === member.body.id).revokedAt)).toBeGreaterThan(Date.now() - 60_000);

    const audit = await send(serve.url, from, 'GET', '/v1/audit?targetId=' + member.body.id, { token: owner.token });
    expect(audit.body.entries.map((entry: { action: string }) => entry.action)).toEqual(['token.revoked', 'token.issued']);
    expect(audit.body.entries[0]).toMatchObject({ projectId, actor: `token:${owner.id}`, target: { kind: 'token', id: member.body.id }, details: { role: 'member' } });
    expect(audit.text).not.toContain(member.body.token);
  });

  it('an expired token answers 401 on both replicas as soon as the database clock passes its expiry', async () => {
    const from = nextAddress();
    const { projectId, owner } = await project('expired', from);
    const brief = await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: owner.token, body: { role: 'viewer', expiresInDays: 1 } });
    expect((await send(api.url, from, 'GET', '/v1/capabilities', { token: brief.body.token })).status).toBe(200);
    // A day passing, on the clock every replica checks expiry against.
    await platform.query("UPDATE control.project_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [brief.body.id]);
    for (const replica of [serve, api]) expect((await send(replica.url, from, 'GET', '/v1/capabilities', { token: brief.body.token })).status).toBe(401);
  });

  it('only owners issue tokens, never above their own role; another project\'s token is not found', async () => {
    const from = nextAddress();
    const { projectId, owner } = await project('issuers', from);
    const member = await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: owner.token, body: { role: 'member' } });
    const viewer = await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: owner.token, body: { role: 'viewer' } });
    for (const issuer of [member.body.token, viewer.body.token]) {
      for (const role of ['viewer', 'member', 'owner']) {
        const refused = await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: issuer, body: { role } });
        expect(refused.status, role).toBe(403);
        expect(refused.body.error.code).toBe('forbidden');
      }
      expect((await send(serve.url, from, 'DELETE', `/v1/tokens/${owner.id}`, { token: issuer })).status).toBe(403);
    }
    expect((await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: owner.token, body: { role: 'owner' } })).status).toBe(201);
    // A token that expires cannot mint itself a successor that outlives it.
    const shortLived = await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: owner.token, body: { role: 'owner', expiresInDays: 3 } });
    for (const expiresInDays of [undefined, 4]) {
      const outliving = await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: shortLived.body.token, body: { role: 'viewer', expiresInDays } });
      expect(outliving.status, String(expiresInDays)).toBe(400);
      expect(outliving.body.error.message).toMatch(/cannot issue a token that outlives it: set expiresInDays to at most 2$/);
    }
    expect((await send(serve.url, from, 'POST', `/v1/projects/${projectId}/tokens`, { token: shortLived.body.token, body: { role: 'viewer', expiresInDays: 2 } })).status).toBe(201);

    const other = await project('elsewhere', from);
    const theirs = await send(serve.url, from, 'DELETE', `/v1/tokens/${owner.id}`, { token: other.owner.token });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('not_found');
    expect((await send(serve.url, from, 'GET', `/v1/projects/${projectId}/tokens`, { token: other.owner.token })).status).toBe(404);
    expect((await send(serve.url, from, 'DELETE', '/v1/tokens/tok_0000000000000000', { token: other.owner.token })).status).toBe(404);
    expect((await send(serve.url, from, 'GET', '/v1/capabilities', { token: owner.token })).status).toBe(200);
  });

  it('decides on the route Fastify matched: encoded paths need a token, unrouted ones answer a bare 404', async () => {
    const from = nextAddress();
    for (const path of ['/%761/capabilities', '/v%31/capabilities', '/v1/%63apabilities', '/%76%31/capabilities']) {
      const refused = await send(serve.url, from, 'GET', path);
      expect(refused.status, path).toBe(401);
      expect(refused.body.error.code).toBe('unauthorized');
      expect((await send(serve.url, from, 'GET', path, { token: adminToken })).status, path).toBe(200);
    }
    for (const path of ['//v1/capabilities', '/V1/capabilities', '/v1//capabilities', '/v1/capabilities%2F']) {
      const unrouted = await send(serve.url, from, 'GET', path);
      expect(unrouted.status, path).toBe(404);
      expect(Object.keys(unrouted.body)).toEqual(['error']);
      expect(unrouted.body.error.code).toBe('not_found');
    }
    // Public routes stay public: health, the OpenAPI document, the dashboard's files.
    for (const path of ['/healthz', '/openapi.json', '/']) expect((await send(serve.url, from, 'GET', path)).status, path).toBe(200);
  });

  it('webhook creation and removal are audited with actor and target, never the URL\'s secrets', async () => {
    const from = nextAddress();
    const { projectId, owner } = await project('hooked', from);
    const created = await send(serve.url, from, 'POST', `/v1/projects/${projectId}/webhooks`, { token: owner.token, body: { url: 'http://127.0.0.1:9/hooks/lb?key=url-secret-123' } });
    expect(created.status).toBe(201);
    expect((await send(serve.url, from, 'DELETE', `/v1/webhooks/${created.body.id}`, { token: owner.token })).status).toBe(204);
    const audit = await send(serve.url, from, 'GET', `/v1/audit?targetId=${created.body.id}`, { token: owner.token });
    expect(audit.body.entries.map((entry: { action: string }) => entry.action)).toEqual(['webhook.deleted', 'webhook.created']);
    for (const entry of audit.body.entries) {
      expect(entry).toMatchObject({ projectId, actor: `token:${owner.id}`, target: { kind: 'webhook', id: created.body.id }, details: { host: '127.0.0.1:9' } });
    }
    for (const secret of ['url-secret-123', '/hooks/lb', created.body.secret, owner.token]) expect(audit.text).not.toContain(secret);
  });

  it('limits failed authentications per client address: 429 with Retry-After, successes not counted, counted in metrics', async () => {
    const attacker = nextAddress();
    const bystander = nextAddress();
    const { projectId, owner } = await project('limited', bystander);
    // Many successful requests first: they are not counted against the address.
    for (let i = 0; i < failuresPerMinute * 3; i++) expect((await send(serve.url, attacker, 'GET', '/v1/capabilities', { token: owner.token })).status).toBe(200);
    for (let i = 0; i < failuresPerMinute; i++) {
      const guess = await send(serve.url, attacker, 'GET', `/v1/projects/${projectId}/services`, { token: `lbp_guess-${i}` });
      expect(guess.status, `guess ${i}`).toBe(401);
    }
    for (const token of ['lbp_one-more-guess', owner.token, undefined]) {
      const limited = await send(serve.url, attacker, 'GET', `/v1/projects/${projectId}/services`, { token });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('rate_limited');
      expect(limited.body.error.message).toMatch(/too many failed authentications/);
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Public routes are not limited; another address, and the other replica, are not affected.
    expect((await send(serve.url, attacker, 'GET', '/healthz')).status).toBe(200);
    expect((await send(serve.url, bystander, 'GET', `/v1/projects/${projectId}/services`, { token: owner.token })).status).toBe(200);
    expect((await send(serve.url, bystander, 'GET', '/v1/capabilities', { token: 'lbp_bystander-typo' })).status).toBe(401);
    expect((await send(api.url, attacker, 'GET', '/v1/capabilities', { token: owner.token })).status).toBe(200);

    const metrics = (await send(serve.url, bystander, 'GET', '/metrics')).text;
    const count = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? 0);
    expect(count(/^lifeboat_authentication_failures_total\{reason="unknown"\} (\d+)$/m)).toBeGreaterThanOrEqual(failuresPerMinute + 1);
    expect(count(/^lifeboat_authentication_failures_total\{reason="missing"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(count(/^lifeboat_authentication_failures_total\{reason="revoked"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(count(/^lifeboat_authentication_failures_total\{reason="expired"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    expect(count(/^lifeboat_rate_limited_requests_total (\d+)$/m)).toBeGreaterThanOrEqual(3);
  });

  it('gives guesses sent all at once no more answers than the limit', async () => {
    const from = nextAddress();
    const guesses = await Promise.all(Array.from({ length: failuresPerMinute * 6 }, (_, i) => send(serve.url, from, 'GET', '/v1/capabilities', { token: `lbp_burst-guess-${i}` })));
    const statuses = guesses.map((guess) => guess.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(failuresPerMinute);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    expect((await send(serve.url, from, 'GET', '/v1/capabilities', { token: adminToken })).status).toBe(429);
  });
  it('does not count requests without a token, so clients behind one address cannot lock each other out', async () => {
    const shared = nextAddress();
    for (let i = 0; i < failuresPerMinute * 2; i++) expect((await send(serve.url, shared, 'GET', '/v1/capabilities', {})).status).toBe(401);
    expect((await send(serve.url, shared, 'GET', '/v1/capabilities', { token: adminToken })).status).toBe(200);
  });
});
