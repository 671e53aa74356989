import { lookup as systemLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { type NetworkPolicy, parseCidr } from '../contracts/network-policy.js';

export { type NetworkPolicy, networkPolicySchema } from '../contracts/network-policy.js';
export { networkPolicyFor, parseServiceNetworks, platformEndpoints, type PlatformEndpoint, webhookPolicyFor } from './policy-from-config.js';

/** `dns.promises.lookup` with `all: true`; injectable so tests can play a DNS that changes its answer. */
export type LookupAll = (hostname: string, options: { all: true }) => Promise<{ address: string; family: number }[]>;

/**
 * The host is not one the operator's network policy lets Lifeboat reach. The message is the
 * same for every reason and every port state, so that error texts cannot map a network; the
 * reason is kept for logs and tests.
 */
export class TargetNotAllowedError extends Error {
  override readonly name = 'TargetNotAllowedError';
  readonly code = 'target_not_allowed';
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`target not allowed by the operator's network policy: ${host}`, { cause: reason });
  }
}

/** The host name does not resolve (now): nothing to check, nothing to connect to. */
export class HostNotFoundError extends Error {
  override readonly name = 'HostNotFoundError';
  readonly code = 'host_not_found';
  constructor(
    readonly host: string,
    options?: { cause?: unknown },
  ) {
    super(`host ${host} does not resolve`, options);
  }
}

/** Whether the policy lets everything through (`serve`): then there is nothing to resolve or check. */
export function isUnrestricted(policy: NetworkPolicy): boolean {
  return policy.allow === 'any' && policy.deny.cidrs.length === 0 && policy.deny.endpoints.length === 0;
}

/**
 * Null when the policy lets `host` (as written) be reached at `address`:`port`, else why not.
 * An allow CIDR covering the address wins over every refusal: the operator wrote it. A name
 * under an allowed DNS suffix is let through only if its address is not refused. Platform
 * endpoints given by name match that name; their addresses match only through `resolveTarget`.
 */
export function checkTarget(policy: NetworkPolicy, target: { host: string; address: string; port: number }): string | null {
  return refusalOf(policy, target, []);
}

/**
 * Resolves `host` (every address it has) and returns the one to connect to, refusing the
 * whole name if any of its addresses is refused: a DNS answer mixing an allowed and a refused
 * address must not let a later connection land on the refused one. An IP literal resolves to
 * itself. Connect to the returned address, never to the name again (no rebinding window).
 */
export async function resolveTarget(policy: NetworkPolicy, host: string, port: number, lookup: LookupAll = systemLookup): Promise<{ address: string; family: 4 | 6 }> {
  const name = bare(host);
  const addresses = isIP(name) ? [{ address: name, family: isIP(name) }] : await resolved(host, name, lookup);
  const endpoints = await endpointAddresses(policy, port, lookup);
  for (const { address } of addresses) {
    const reason = refusalOf(policy, { host, address, port }, endpoints);
    if (reason !== null) throw new TargetNotAllowedError(host, reason);
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

function refusalOf(policy: NetworkPolicy, target: { host: string; address: string; port: number }, endpoints: readonly { address: string; port: number }[]): string | null {
  const address = bare(target.address);
  const family = isIP(address);
  if (family === 0) return `${target.address} is not an IP address`;
  // The platform's own endpoints first: allowing the network they live in (the VPC) must not
  // open Lifeboat's database, bus or storage to tenants. Only the address itself, listed as
  // such (a /32 or /128), lets them through, as on a single machine whose tenants share its server.
  const sameAddress = (other: string) => isIP(bare(other)) !== 0 && coveringCidr([bare(other)], address, family) !== undefined;
  const endpoint =
    policy.deny.endpoints.find((candidate) => candidate.port === target.port && (bare(candidate.host) === bare(target.host) || sameAddress(candidate.host))) ??
    endpoints.find((candidate) => candidate.port === target.port && sameAddress(candidate.address));
  if (endpoint && !listedExactly(policy, address, family)) return `${address}:${target.port} is one of the platform's own endpoints`;
  if (policy.allow !== 'any') {
    if (coveringCidr(policy.allow.cidrs, address, family) !== undefined) return null;
    const name = bare(target.host);
    if (!policy.allow.dnsSuffixes.some((suffix) => name.endsWith(suffix.toLowerCase()) && name.length > suffix.length)) {
      return `${address} is in none of the allowed networks, and ${target.host} under none of the allowed DNS suffixes`;
    }
  }
  const refusedRange = coveringCidr(policy.deny.cidrs, address, family);
  if (refusedRange !== undefined) return `${address} is in the refused range ${refusedRange}`;
  return null;
}

/** Whether the operator's allow list names this very address (a /32 or /128 entry, or a bare address). */
function listedExactly(policy: NetworkPolicy, address: string, family: number): boolean {
  if (policy.allow === 'any') return false;
  return policy.allow.cidrs.some((text) => {
    const cidr = parseCidr(text);
    return cidr !== null && cidr.prefix === (cidr.family === 4 ? 32 : 128) && coveringCidr([text], address, family) !== undefined;
  });
}

/** The first CIDR that covers the address, matching IPv4-mapped IPv6 (::ffff:127.0.0.1) against IPv4 rules. */
function coveringCidr(cidrs: readonly string[], address: string, family: number): string | undefined {
  return cidrs.find((text) => {
    const cidr = parseCidr(text);
    if (!cidr) return false;
    const list = new BlockList();
    list.addSubnet(cidr.address, cidr.prefix, cidr.family === 4 ? 'ipv4' : 'ipv6');
    return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  });
}

async function resolved(host: string, name: string, lookup: LookupAll): Promise<{ address: string; family: number }[]> {
  let answers: { address: string; family: number }[];
  try {
    answers = await lookup(name, { all: true });
  } catch (error) {
    throw new HostNotFoundError(host, { cause: error });
  }
  if (answers.length === 0) throw new HostNotFoundError(host);
  return answers;
}

/**
 * The addresses of platform endpoints given by name on this port, resolved now as the target
 * is: `db.internal:5432` must be refused when written as its IP. A name that does not resolve
 * cannot be connected to either, so it adds nothing.
 */
async function endpointAddresses(policy: NetworkPolicy, port: number, lookup: LookupAll): Promise<{ address: string; port: number }[]> {
  const named = policy.deny.endpoints.filter((endpoint) => endpoint.port === port && isIP(bare(endpoint.host)) === 0);
  const answers = await Promise.all(named.map((endpoint) => lookup(bare(endpoint.host), { all: true }).catch(() => [])));
  return answers.flat().map(({ address }) => ({ address, port }));
}

/** Lower case, without IPv6 brackets or a root dot: how names and addresses are compared. */
function bare(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}
