import { describe, expect, it } from 'vitest';
import { checkTarget, HostNotFoundError, type LookupAll, networkPolicyFor, networkPolicySchema, resolveTarget, TargetNotAllowedError } from './network-policy.js';

const platform = [
  { host: '10.0.0.5', port: 5432 },
  { host: 'nats.platform.internal', port: 4222 },
];
const split = networkPolicyFor('api', undefined, platform);
const serve = networkPolicyFor('serve', undefined, platform);

/** A DNS with fixed answers: the test's stand-in for a resolver an attacker controls. */
const dnsOf =
  (answers: Record<string, string[]>): LookupAll =>
  async (hostname) => {
    const addresses = answers[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('checkTarget', () => {
  it.each([
    ['127.0.0.1'],
    ['127.3.4.5'],
    ['::1'],
    ['[::1]'],
    ['::ffff:127.0.0.1'],
    ['::ffff:7f00:1'],
    ['169.254.169.254'],
    ['::ffff:169.254.169.254'],
    ['fe80::1'],
    ['0.0.0.0'],
    ['::'],
    ['::127.0.0.1'],
  ])('refuses %s under split roles', (address) => {
    expect(checkTarget(split, { host: address, address, port: 5432 })).toMatch(/refused range/);
  });

  it('lets everything through under serve', () => {
    for (const address of ['127.0.0.1', '::1', '169.254.169.254', '0.0.0.0', '10.0.0.5']) {
      expect(checkTarget(serve, { host: address, address, port: 5432 })).toBeNull();
    }
  });

  it("refuses the platform's own endpoints, by address and by name, on their port only", () => {
    expect(checkTarget(split, { host: '10.0.0.5', address: '10.0.0.5', port: 5432 })).toMatch(/platform's own endpoints/);
    expect(checkTarget(split, { host: 'db.example', address: '::ffff:10.0.0.5', port: 5432 })).toMatch(/platform's own endpoints/);
    expect(checkTarget(split, { host: 'NATS.platform.internal.', address: '10.9.9.9', port: 4222 })).toMatch(/platform's own endpoints/);
    expect(checkTarget(split, { host: '10.0.0.5', address: '10.0.0.5', port: 5433 })).toBeNull();
    expect(checkTarget(split, { host: 'orders.example', address: '203.0.113.7', port: 5432 })).toBeNull();
  });

  it("keeps to LIFEBOAT_SERVICE_NETWORKS when set; an explicit CIDR wins over the built-in refusals", () => {
    const policy = networkPolicyFor('api', '10.20.0.0/16, .db.internal, 127.0.0.0/8', platform);
    expect(checkTarget(policy, { host: '10.20.3.4', address: '10.20.3.4', port: 5432 })).toBeNull();
    expect(checkTarget(policy, { host: '10.21.3.4', address: '10.21.3.4', port: 5432 })).toMatch(/none of the allowed networks/);
    expect(checkTarget(policy, { host: '127.0.0.1', address: '127.0.0.1', port: 5432 })).toBeNull();
    expect(checkTarget(policy, { host: '::ffff:127.0.0.1', address: '::ffff:127.0.0.1', port: 5432 })).toBeNull();
    // A DNS suffix allows the name, not whatever it resolves to.
    expect(checkTarget(policy, { host: 'orders.db.internal', address: '10.99.0.1', port: 5432 })).toBeNull();
    expect(checkTarget(policy, { host: 'orders.db.internal', address: '169.254.169.254', port: 80 })).toMatch(/refused range/);
    expect(checkTarget(policy, { host: 'orders.db.internal', address: '10.0.0.5', port: 5432 })).toMatch(/platform's own endpoints/);
    expect(checkTarget(policy, { host: 'db.internal', address: '10.99.0.1', port: 5432 })).toMatch(/none of the allowed/);
    expect(checkTarget(policy, { host: 'evil-db.internal.example', address: '10.99.0.1', port: 5432 })).toMatch(/none of the allowed/);
  });

  it("keeps the platform's own endpoints refused when their network is allowed, unless the address itself is listed", () => {
    const endpoints = [{ host: '10.0.0.5', port: 5432 }];
    const vpc = networkPolicyFor('api', '10.0.0.0/8', endpoints);
    expect(checkTarget(vpc, { host: '10.0.0.5', address: '10.0.0.5', port: 5432 })).toMatch(/platform's own endpoints/);
    expect(checkTarget(vpc, { host: '10.0.0.6', address: '10.0.0.6', port: 5432 })).toBeNull();
    const listed = networkPolicyFor('api', '10.0.0.0/8,10.0.0.5', endpoints);
    expect(checkTarget(listed, { host: '10.0.0.5', address: '10.0.0.5', port: 5432 })).toBeNull();
  });

  it('is a plain JSON value that survives the job spec', () => {
    const policy = networkPolicyFor('orchestrator', '10.0.0.0/8,.db.internal', platform);
    expect(networkPolicySchema.parse(JSON.parse(JSON.stringify(policy)))).toEqual(policy);
    expect(networkPolicySchema.safeParse({ allow: 'any', deny: { cidrs: ['10.0.0.0/33'], endpoints: [] } }).success).toBe(false);
  });
});

describe('resolveTarget', () => {
  it('resolves an IP literal to itself, brackets and all', async () => {
    await expect(resolveTarget(split, '203.0.113.7', 5432, dnsOf({}))).resolves.toEqual({ address: '203.0.113.7', family: 4 });
    await expect(resolveTarget(split, '[2001:db8::7]', 5432, dnsOf({}))).resolves.toEqual({ address: '2001:db8::7', family: 6 });
  });

  it('refuses a name if any of its addresses is refused, so a mixed answer cannot rebind', async () => {
    const dns = dnsOf({ 'mixed.example': ['203.0.113.7', '127.0.0.1'], 'fine.example': ['203.0.113.7', '2001:db8::7'] });
    await expect(resolveTarget(split, 'mixed.example', 5432, dns)).rejects.toBeInstanceOf(TargetNotAllowedError);
    await expect(resolveTarget(split, 'fine.example', 5432, dns)).resolves.toEqual({ address: '203.0.113.7', family: 4 });
  });

  it('refuses loopback however it is written, with one message that never says why', async () => {
    const messages = new Set<string>();
    for (const host of ['localhost', '0x7f000001', '2130706433', '0177.0.0.1', '127.1']) {
      const error = await resolveTarget(split, host, 5432).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TargetNotAllowedError);
      expect((error as TargetNotAllowedError).name).toBe('TargetNotAllowedError');
      expect((error as TargetNotAllowedError).cause).toMatch(/refused range 127\.0\.0\.0\/8/);
      messages.add((error as Error).message.replace(host, '<host>'));
    }
    expect([...messages]).toEqual(["target not allowed by the operator's network policy: <host>"]);
  });

  it('refuses a name that resolves to a platform endpoint given by name', async () => {
    const dns = dnsOf({ 'nats.platform.internal': ['10.0.0.9'], 'innocent.example': ['10.0.0.9'] });
    await expect(resolveTarget(split, 'innocent.example', 4222, dns)).rejects.toMatchObject({ reason: expect.stringMatching(/platform's own endpoints/) });
    await expect(resolveTarget(split, 'innocent.example', 4223, dns)).resolves.toEqual({ address: '10.0.0.9', family: 4 });
  });

  it('throws a distinct error for a name that does not resolve, keeping the cause', async () => {
    const error = await resolveTarget(split, 'nowhere.invalid', 5432, dnsOf({})).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HostNotFoundError);
    expect(error).toMatchObject({ name: 'HostNotFoundError', code: 'host_not_found', message: 'host nowhere.invalid does not resolve' });
    expect((error as Error).cause).toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolveTarget(split, 'empty.example', 5432, async () => [])).rejects.toBeInstanceOf(HostNotFoundError);
  });
});
