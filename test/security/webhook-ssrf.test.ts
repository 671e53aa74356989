import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhook, queueWebhookDeliveries, WebhookDispatcher } from '../../src/control-plane/webhooks.js';
import { type LookupAll, type NetworkPolicy, networkPolicyFor, platformEndpoints, resolveTarget, webhookPolicyFor } from '../../src/network-policy/network-policy.js';
import { adminToken, call, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { silentLogger } from '../support/platform-db.js';
import { postgresUrl } from '../support/postgres.js';

/** Split roles' policy, with the platform database where the tests' one is. */
const splitPolicy = networkPolicyFor('api', undefined, platformEndpoints({ databaseUrl: postgresUrl('lifeboat') }));
/** What an operator who lets webhooks reach one receiver on this machine would write. */
const receiverPolicy = networkPolicyFor('api', '127.0.0.1/32', []);
/** Webhooks under split roles: also kept out of the private ranges, where the platform's own services live. */
const splitWebhookPolicy = webhookPolicyFor('api', undefined, platformEndpoints({ databaseUrl: postgresUrl('lifeboat') }));

/** A DNS whose answers the test sets: what an attacker's name server does between two lookups. */
function playedDns(...answers: string[][]): LookupAll & { calls: number } {
  const lookup = Object.assign(
    async () => {
      const addresses = answers[Math.min(lookup.calls++, answers.length - 1)]!;
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
    { calls: 0 },
  );
  return lookup;
}

/** An HTTP server on a loopback address that records what reaches it and answers `status`. */
async function listen(host: string, answer: (response: ServerResponse) => void): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(`${request.method} ${request.url}`);
    answer(response);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

describe('webhook targets under split roles', () => {
  let split: TestControlPlane;
  let receiverOnly: TestControlPlane;
  let receiver: Awaited<ReturnType<typeof listen>>;
  let elsewhere: Awaited<ReturnType<typeof listen>>;
  let redirector: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    [split, receiverOnly] = await Promise.all([
      startTestControlPlane('postgres', { networkPolicy: splitPolicy, webhookPolicy: splitWebhookPolicy, serviceRegistration: 'admin' }),
      startTestControlPlane('postgres', { networkPolicy: receiverPolicy, serviceRegistration: 'admin' }),
    ]);
    receiver = await listen('127.0.0.1', (response) => response.writeHead(204).end());
    // Linux answers on all of 127.0.0.0/8: a second loopback address the policy does not allow.
    elsewhere = await listen('127.0.0.2', (response) => response.writeHead(200).end('internal secrets'));
    redirector = await listen('127.0.0.1', (response) => response.writeHead(302, { location: `http://127.0.0.2:${elsewhere.port}/admin` }).end());
  });
  afterAll(async () => {
    await Promise.all([receiver, elsewhere, redirector].map((entry) => entry && new Promise((resolve) => entry.server.close(resolve))));
    await Promise.all([split?.close(), receiverOnly?.close()]);
  });

  let named = 0;
  async function project(cp: TestControlPlane) {
    const projectId = (await call(cp.app, 'POST', '/v1/projects', { token: adminToken, body: { name: `hooks-${++named}` } })).body.id as string;
    const token = async (role: string) => (await call(cp.app, 'POST', `/v1/projects/${projectId}/tokens`, { token: adminToken, body: { role } })).body.token as string;
    return { projectId, owner: await token('owner'), member: await token('member'), viewer: await token('viewer') };
  }

  /** Queues one event for the project's webhooks, then makes one delivery pass with `policy` and `lookup`. */
  async function deliverOnce(cp: TestControlPlane, projectId: string, policy: NetworkPolicy, lookup?: LookupAll) {
    await queueWebhookDeliveries(cp.plane.db, { id: randomUUID(), type: 'backup.failed', projectId, occurredAt: new Date().toISOString(), data: {} });
    const dispatcher = new WebhookDispatcher({ db: cp.plane.db, key: cp.plane.keys.credentials, logger: silentLogger, networkPolicy: policy, lookup, maxAttempts: 1, timeoutMs: 5000 });
    await dispatcher.deliverDue();
  }

  const deliveriesOf = async (cp: TestControlPlane, webhookId: string, token: string) =>
    (await call(cp.app, 'GET', `/v1/webhooks/${webhookId}/deliveries`, { token })).body.deliveries as Record<string, unknown>[];

  it.each([
    'http://127.0.0.1/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://[::ffff:127.0.0.1]/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'http://localhost/',
    'http://localhost./',
    'http://[::1]:8080/',
    'http://0.0.0.0/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/',
    'https://127.0.0.1:5432/',
    'http://10.1.2.3/hook',
    'http://192.168.0.10:8080/',
    'http://172.16.5.5/',
    'http://100.64.0.1/',
    'http://[fd00::1]/',
  ])('refuses %s at creation', async (url) => {
    const { projectId, owner } = await project(split);
    const refused = await call(split.app, 'POST', `/v1/projects/${projectId}/webhooks`, { token: owner, body: { url } });
    expect([refused.status, refused.body.error.code]).toEqual([400, 'target_not_allowed']);
    expect(refused.body.error.message).toMatch(/^target not allowed by the operator's network policy: /);
    expect((await call(split.app, 'GET', `/v1/projects/${projectId}/webhooks`, { token: owner })).body.webhooks).toEqual([]);
  });

  it('accepts a receiver on the public internet under split roles', async () => {
    const { projectId, owner } = await project(split);
    const created = await call(split.app, 'POST', `/v1/projects/${projectId}/webhooks`, { token: owner, body: { url: 'https://203.0.113.10/lifeboat' } });
    expect(created.status).toBe(201);
  });

  it('accepts a receiver the policy allows', async () => {
    const { projectId, owner } = await project(split);
    expect((await call(split.app, 'POST', `/v1/projects/${projectId}/webhooks`, { token: owner, body: { url: 'https://192.0.2.77/hooks?key=k' } })).status).toBe(201);
  });

  it('does not deliver to a name that resolved to an allowed address at creation and to a refused one at delivery', async () => {
    const { projectId, owner } = await project(split);
    const url = `http://rebind.hooks.test:${receiver.port}/in`;
    await expect(resolveTarget(splitPolicy, 'rebind.hooks.test', receiver.port, playedDns(['192.0.2.77']))).resolves.toMatchObject({ address: '192.0.2.77' });
    const { row } = await createWebhook(split.plane.db, split.plane.keys.credentials, { projectId, url, events: ['backup.failed'] });

    receiver.hits.length = 0;
    await deliverOnce(split, projectId, splitPolicy, playedDns(['127.0.0.1']));
    // A mixed answer is refused too, whichever address comes first.
    await deliverOnce(split, projectId, splitPolicy, playedDns(['192.0.2.77', '127.0.0.1']));
    expect(receiver.hits).toEqual([]);
    const deliveries = await deliveriesOf(split, row.id, owner);
    expect(deliveries.map((delivery) => delivery.lastError)).toEqual([
      "not sent: target not allowed by the operator's network policy: rebind.hooks.test",
      "not sent: target not allowed by the operator's network policy: rebind.hooks.test",
    ]);
  });

  it('resolves once per delivery and connects to that address, not to a second answer', async () => {
    const { projectId, owner } = await project(receiverOnly);
    const { row } = await createWebhook(receiverOnly.plane.db, receiverOnly.plane.keys.credentials, { projectId, url: `http://pinned.hooks.test:${receiver.port}/in`, events: ['backup.failed'] });
    // The name exists only in the played DNS: the request can have reached the receiver only through the checked address.
    const dns = playedDns(['127.0.0.1'], ['127.0.0.2']);
    receiver.hits.length = 0;
    elsewhere.hits.length = 0;
    await deliverOnce(receiverOnly, projectId, receiverPolicy, dns);
    expect(dns.calls).toBe(1);
    expect(receiver.hits).toEqual(['POST /in']);
    expect(elsewhere.hits).toEqual([]);
    expect(await deliveriesOf(receiverOnly, row.id, owner)).toMatchObject([{ status: 'delivered', lastStatus: 204 }]);
  });

  it('records a redirect as a failed attempt without following it', async () => {
    const { projectId, owner, member, viewer } = await project(receiverOnly);
    const url = `http://127.0.0.1:${redirector.port}/hooks/secret-path?token=receiver-secret`;
    const hook = await call(receiverOnly.app, 'POST', `/v1/projects/${projectId}/webhooks`, { token: owner, body: { url, events: ['backup.failed'] } });
    expect(hook.status).toBe(201);
    elsewhere.hits.length = 0;
    await deliverOnce(receiverOnly, projectId, receiverPolicy);
    expect(elsewhere.hits).toEqual([]);

    // Owners see the receiver's answer and the URL whole.
    expect(await deliveriesOf(receiverOnly, hook.body.id, owner)).toMatchObject([
      { status: 'failed', lastStatusClass: '3xx', lastStatus: 302, lastError: 'the receiver answered 302; redirects are not followed' },
    ]);
    expect((await call(receiverOnly.app, 'GET', `/v1/projects/${projectId}/webhooks`, { token: owner })).body.webhooks[0].url).toBe(url);
    // Members and viewers see only the class, and where the URL goes.
    for (const token of [member, viewer]) {
      const [delivery] = await deliveriesOf(receiverOnly, hook.body.id, token);
      expect(delivery).toMatchObject({ status: 'failed', lastStatusClass: '3xx', lastStatus: null, lastError: null });
      const listed = JSON.stringify((await call(receiverOnly.app, 'GET', `/v1/projects/${projectId}/webhooks`, { token })).body);
      expect(listed).toContain(`"url":"http://127.0.0.1:${redirector.port}/…"`);
      expect(listed).not.toContain('secret');
    }
  });

  it('shows a receiver that does not answer as network_error to viewers, with the detail to owners', async () => {
    const { projectId, owner, viewer } = await project(split);
    const { row } = await createWebhook(split.plane.db, split.plane.keys.credentials, { projectId, url: 'http://refused.hooks.test/in', events: ['backup.failed'] });
    await deliverOnce(split, projectId, splitPolicy, playedDns(['169.254.169.254']));
    expect((await deliveriesOf(split, row.id, viewer))[0]).toMatchObject({ lastStatusClass: 'network_error', lastStatus: null, lastError: null });
    expect((await deliveriesOf(split, row.id, owner))[0]).toMatchObject({ lastStatusClass: 'network_error', lastError: expect.stringMatching(/^not sent: /) });
  });
});
