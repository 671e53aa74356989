import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat } from '../support/lifeboat-process.js';
import { freePort } from '../support/password-postgres.js';
import { createTestDatabase, postgresHost, postgresPort, type TestDatabase } from '../support/postgres.js';

const adminToken = 'lba_network-policy-admin-token-0123456789';
/** Where the split api is told its verification server lives: a platform endpoint that is not loopback (nothing connects to it). */
const verificationServer = { host: '203.0.113.50', port: 5432 };

/**
 * Which hosts a service may point to, against the real processes: `lifeboat api` (split role,
 * on PostgreSQL) refuses loopback, link-local and metadata, the unspecified address and the
 * platform's own endpoints, and lets only the operator register by default; `lifeboat serve`
 * allows everything, as it always did.
 */
describe('the network policy of service registration', () => {
  let work: string;
  let platforms: TestDatabase[] = [];
  let api: LifeboatProcess;
  let apiForOwners: LifeboatProcess;
  let serve: LifeboatProcess;
  let closedPort: number;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lifeboat-network-policy-'));
    platforms = await Promise.all([createTestDatabase('netpol_split'), createTestDatabase('netpol_serve')]);
    const split = {
      LIFEBOAT_DATABASE_URL: platforms[0]!.url,
      LIFEBOAT_SECRET_KEY: 'the secret key of the network policy test, 0123456789',
      LIFEBOAT_ADMIN_TOKEN: adminToken,
      LIFEBOAT_VERIFY_DATABASE_URL: `postgres://verify@${verificationServer.host}:${verificationServer.port}/postgres`,
    };
    [api, apiForOwners, serve] = await Promise.all([
      startLifeboat('api', { ...split, LIFEBOAT_DATA_DIR: join(work, 'api') }),
      startLifeboat('api', { ...split, LIFEBOAT_DATA_DIR: join(work, 'api-owners'), LIFEBOAT_SERVICE_REGISTRATION: 'owner' }),
      startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'serve'), LIFEBOAT_DATABASE_URL: platforms[1]!.url }),
    ]);
    closedPort = await freePort();
  }, 120_000);
  afterAll(async () => {
    await Promise.all([api, apiForOwners, serve].map((process) => process?.stop()));
    await Promise.all(platforms.map((platform) => platform.drop()));
    await rm(work, { recursive: true, force: true });
  });

  let named = 0;
  async function projectOn(lifeboat: LifeboatProcess, admin: string) {
    const asAdmin = apiClient(lifeboat.url, admin);
    const projectId = (await asAdmin('POST', '/v1/projects', { name: `netpol-${++named}` })).body.id as string;
    const owner = apiClient(lifeboat.url, (await asAdmin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token as string);
    const register = (client: typeof owner, host: string, port: number) =>
      client('POST', `/v1/projects/${projectId}/services?skipCheck=true`, { name: `svc-${++named}`, engine: 'postgresql', connection: { host, port, database: 'orders', user: 'app', password: 'pw' } });
    return { asAdmin, owner, register };
  }

  const refusedTargets = [
    { host: '127.0.0.1', port: postgresPort },
    { host: '127.0.0.1', port: 0 },
    { host: 'localhost', port: postgresPort },
    { host: '169.254.169.254', port: 80 },
    { host: '[::1]', port: postgresPort },
    { host: '::ffff:127.0.0.1', port: postgresPort },
    { host: '0.0.0.0', port: postgresPort },
    { host: '0x7f000001', port: postgresPort },
    // The platform database's own host and port, and its verification server.
    { host: postgresHost, port: postgresPort },
    verificationServer,
  ];

  it('refuses loopback, metadata, unspecified and platform targets under split roles, with one message whatever the port', async () => {
    const { asAdmin, register } = await projectOn(api, adminToken);
    const messages = new Set<string>();
    for (const target of refusedTargets) {
      const port = target.port === 0 ? closedPort : target.port;
      const refused = await register(asAdmin, target.host, port);
      expect({ target, status: refused.status, code: refused.body.error?.code }).toEqual({ target, status: 400, code: 'target_not_allowed' });
      messages.add(refused.body.error.message.replace(target.host, '<host>'));
    }
    // Open (PostgreSQL), closed (a free port) and silent (metadata) ports: nothing tells them apart.
    expect([...messages]).toEqual(["target not allowed by the operator's network policy: <host>"]);
    // Addresses elsewhere are fine, and so is the verification server's host on another port.
    for (const [host, port] of [['192.0.2.77', 5432], [verificationServer.host, 6432], ['2001:db8::7', 5432]] as const) {
      expect((await register(asAdmin, host, port)).status).toBe(201);
    }
  });

  it('lets only the operator register services under api by default', async () => {
    const { owner, register } = await projectOn(api, adminToken);
    const refused = await register(owner, '192.0.2.77', 5432);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ code: 'forbidden', message: expect.stringMatching(/^the operator registers services here \(LIFEBOAT_SERVICE_REGISTRATION=admin\)/) });
  });

  it('lets owners register with LIFEBOAT_SERVICE_REGISTRATION=owner, within the same policy', async () => {
    const { owner, register } = await projectOn(apiForOwners, adminToken);
    expect((await register(owner, '192.0.2.77', 5432)).status).toBe(201);
    const refused = await register(owner, '169.254.169.254', 80);
    expect([refused.status, refused.body.error.code]).toEqual([400, 'target_not_allowed']);
  });

  it('allows every one of those targets under serve, for owners, as before', async () => {
    const { owner, register } = await projectOn(serve, serve.adminToken!);
    for (const target of refusedTargets) {
      const created = await register(owner, target.host, target.port === 0 ? closedPort : target.port);
      expect({ target, status: created.status }).toEqual({ target, status: 201 });
    }
  });
});
