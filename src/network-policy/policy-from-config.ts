import { dnsSuffixPattern, type NetworkPolicy, parseCidr } from '../contracts/network-policy.js';
import { parseStorageUrl } from '../storage/storage-url.js';

export interface PlatformEndpoint {
  host: string;
  port: number;
}

/**
 * Never reachable from a project's service or webhook under split roles, unless the operator
 * lists the network: loopback, link-local (the cloud metadata service at 169.254.169.254
 * included) and the unspecified address, which Linux connects to the local host.
 */
const builtInRefusals = [
  '127.0.0.0/8',
  '::1/128',
  '169.254.0.0/16',
  'fe80::/10',
  '0.0.0.0/8',
  '::/128',
  // IPv4-compatible IPv6 (deprecated; ::127.0.0.1): no service lives there, and some stacks map it to IPv4.
  '::/96',
];

/**
 * LIFEBOAT_SERVICE_NETWORKS read into networks: comma-separated CIDRs (a bare address is its
 * own /32 or /128) and DNS suffixes starting with a dot. One problem per bad entry.
 */
export function parseServiceNetworks(text: string): { cidrs: string[]; dnsSuffixes: string[]; problems: string[] } {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const cidrs: string[] = [];
  const dnsSuffixes: string[] = [];
  const problems: string[] = [];
  if (entries.length === 0) problems.push('lists no network: give CIDRs (10.0.0.0/8) or DNS suffixes (.db.internal), comma-separated');
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (cidr) cidrs.push(`${cidr.address}/${cidr.prefix}`);
    else if (dnsSuffixPattern.test(entry)) dnsSuffixes.push(entry.toLowerCase());
    else problems.push(`${JSON.stringify(entry)} is neither a CIDR (10.0.0.0/8, fd00::/8, 10.1.2.3) nor a DNS suffix starting with a dot (.db.internal)`);
  }
  return { cidrs, dnsSuffixes, problems };
}

/**
 * The network policy of a server role. Under `serve` everything local is allowed, as it always
 * was. Under `api` and `orchestrator` services and webhooks may live anywhere (or only in
 * LIFEBOAT_SERVICE_NETWORKS when set) except loopback, link-local, the unspecified address and
 * the platform's own endpoints. `serviceNetworksText` was validated by the configuration.
 */
export function networkPolicyFor(role: 'serve' | 'api' | 'orchestrator', serviceNetworksText: string | undefined, endpoints: readonly PlatformEndpoint[]): NetworkPolicy {
  const networks = serviceNetworksText === undefined ? undefined : parseServiceNetworks(serviceNetworksText);
  if (networks && networks.problems.length > 0) throw new Error(`LIFEBOAT_SERVICE_NETWORKS: ${networks.problems.join('; ')}`);
  const allow = networks ? { cidrs: networks.cidrs, dnsSuffixes: networks.dnsSuffixes } : ('any' as const);
  if (role === 'serve') return { allow, deny: { cidrs: [], endpoints: [] } };
  return { allow, deny: { cidrs: [...builtInRefusals], endpoints: endpoints.map(({ host, port }) => ({ host, port })) } };
}

/**
 * Private and shared address space, where a platform's own internal services live. A webhook
 * receiver is someone else's server on the internet, so under split roles it may not be here
 * unless the operator lists it (LIFEBOAT_WEBHOOK_NETWORKS): an owner must not be able to POST
 * into the platform's network and read the answers back from the delivery records.
 */
const privateRanges = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7', '64:ff9b::/96'];

/**
 * Where webhook receivers may live: the same refusals as services, and the private ranges too;
 * LIFEBOAT_WEBHOOK_NETWORKS, when set, names the only networks allowed (an entry covering a
 * private range allows it). Under `serve` everything, as for services.
 */
export function webhookPolicyFor(role: 'serve' | 'api' | 'orchestrator', webhookNetworksText: string | undefined, endpoints: readonly PlatformEndpoint[]): NetworkPolicy {
  const policy = networkPolicyFor(role, webhookNetworksText, endpoints);
  if (role === 'serve') return policy;
  return { ...policy, deny: { ...policy.deny, cidrs: [...policy.deny.cidrs, ...privateRanges] } };
}

/**
 * Where the platform itself lives, from its configuration: the platform database, the bus
 * servers, the S3 endpoint and the verification server. AWS's own S3 (no endpoint) is public
 * and shared, so it is not one of them; a file store has no address.
 */
export function platformEndpoints(urls: { databaseUrl?: string | undefined; busUrl?: string | undefined; storageUrl?: string | undefined; verifyDatabaseUrl?: string | undefined; verifyMariadbUrl?: string | undefined }): PlatformEndpoint[] {
  const endpoints: PlatformEndpoint[] = [];
  if (urls.databaseUrl) endpoints.push(...hostsOf(urls.databaseUrl, 5432));
  if (urls.busUrl) for (const server of urls.busUrl.split(',')) endpoints.push(...hostsOf(server, 4222));
  if (urls.storageUrl) {
    const location = parseStorageUrl(urls.storageUrl);
    if (location.kind === 's3' && location.endpoint) endpoints.push(...hostsOf(location.endpoint, location.endpoint.startsWith('https:') ? 443 : 80));
  }
  if (urls.verifyDatabaseUrl) endpoints.push(...hostsOf(urls.verifyDatabaseUrl, 5432));
  if (urls.verifyMariadbUrl) endpoints.push(...hostsOf(urls.verifyMariadbUrl, 3306));
  return endpoints;
}

/**
 * The hosts of a URL's authority, `scheme://user:pw@h1:p1,[::1]:p2/…` (libpq and NATS both
 * take host lists), or of a bare `host:port`. Read by hand: WHATWG URL refuses host lists.
 */
function hostsOf(url: string, defaultPort: number): PlatformEndpoint[] {
  const authority = url.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0] ?? '';
  const hosts = authority.slice(authority.lastIndexOf('@') + 1);
  return hosts
    .split(',')
    .map((entry) => /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(entry.trim()))
    .filter((match): match is RegExpExecArray => match !== null && match[1] !== '')
    .map((match) => ({ host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port: match[2] === undefined ? defaultPort : Number(match[2]) }));
}
