import { describe, expect, it } from 'vitest';
import { checkTarget } from './network-policy.js';
import { networkPolicyFor, parseServiceNetworks, platformEndpoints, webhookPolicyFor } from './policy-from-config.js';

describe('the network policy from configuration', () => {
  it('reads LIFEBOAT_SERVICE_NETWORKS: CIDRs, bare addresses and DNS suffixes, one problem per bad entry', () => {
    expect(parseServiceNetworks(' 10.0.0.0/8, fd00::/8,10.1.2.3 , .DB.internal,')).toEqual({
      cidrs: ['10.0.0.0/8', 'fd00::/8', '10.1.2.3/32'],
      dnsSuffixes: ['.db.internal'],
      problems: [],
    });
    const { problems } = parseServiceNetworks('10.0.0.0/33,db.internal,http://x/,10.0.0.0/8');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^"10\.0\.0\.0\/33" is neither a CIDR .* nor a DNS suffix starting with a dot \(\.db\.internal\)$/);
    expect(problems[1]).toMatch(/^"db\.internal"/);
    expect(parseServiceNetworks(' , ').problems).toEqual([expect.stringMatching(/lists no network/)]);
  });

  it('allows everything under serve, and refuses loopback, link-local, unspecified and the platform under split roles', () => {
    expect(networkPolicyFor('serve', undefined, [{ host: 'db', port: 5432 }])).toEqual({ allow: 'any', deny: { cidrs: [], endpoints: [] } });
    for (const role of ['api', 'orchestrator'] as const) {
      const policy = networkPolicyFor(role, undefined, [{ host: 'db', port: 5432 }]);
      expect(policy.allow).toBe('any');
      expect(policy.deny.cidrs).toEqual(expect.arrayContaining(['127.0.0.0/8', '::1/128', '169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128']));
      expect(policy.deny.endpoints).toEqual([{ host: 'db', port: 5432 }]);
    }
    expect(networkPolicyFor('api', '10.0.0.0/8,.db.internal', []).allow).toEqual({ cidrs: ['10.0.0.0/8'], dnsSuffixes: ['.db.internal'] });
  });

  it("finds the platform's endpoints in its URLs, host lists and default ports included", () => {
    expect(
      platformEndpoints({
        databaseUrl: 'postgres://lifeboat:p%40ss@db.internal:6432,[fd00::5]/lifeboat?sslmode=require',
        busUrl: 'nats://nats-0:4222, nats://user:pw@nats-1 ,nats-2:4333',
        storageUrl: 's3://backups/lifeboat?endpoint=https://minio.internal&region=x',
        verifyDatabaseUrl: 'postgresql://verify@10.0.0.7/postgres',
      }),
    ).toEqual([
      { host: 'db.internal', port: 6432 },
      { host: 'fd00::5', port: 5432 },
      { host: 'nats-0', port: 4222 },
      { host: 'nats-1', port: 4222 },
      { host: 'nats-2', port: 4333 },
      { host: 'minio.internal', port: 443 },
      { host: '10.0.0.7', port: 5432 },
    ]);
    expect(platformEndpoints({ storageUrl: 's3://backups/x?region=eu-west-1', databaseUrl: 'postgres:///lifeboat?host=/run/postgresql' })).toEqual([]);
    expect(platformEndpoints({ storageUrl: 'file:///var/lib/lifeboat' })).toEqual([]);
  });
  it('keeps webhook receivers out of the private ranges under split roles, unless LIFEBOAT_WEBHOOK_NETWORKS lists them', () => {
    const hooks = webhookPolicyFor('api', undefined, []);
    for (const address of ['10.1.2.3', '172.20.0.9', '192.168.1.1', '100.64.0.1', 'fd00::1', '127.0.0.1', '169.254.169.254']) {
      expect(checkTarget(hooks, { host: address, address, port: 443 }), address).not.toBeNull();
    }
    expect(checkTarget(hooks, { host: 'hooks.example.com', address: '203.0.113.10', port: 443 })).toBeNull();
    expect(checkTarget(webhookPolicyFor('api', '10.0.0.0/8', []), { host: '10.1.2.3', address: '10.1.2.3', port: 443 })).toBeNull();
    expect(webhookPolicyFor('serve', undefined, [])).toEqual({ allow: 'any', deny: { cidrs: [], endpoints: [] } });
    // Services may live in the private ranges: only webhooks are kept out of them.
    expect(checkTarget(networkPolicyFor('api', undefined, []), { host: '10.1.2.3', address: '10.1.2.3', port: 5432 })).toBeNull();
  });
});
