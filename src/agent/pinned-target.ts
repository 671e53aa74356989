import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type Connection, connectionProblems, type NetworkPolicy } from '../contracts/index.js';
import { resolveTarget } from '../network-policy/network-policy.js';
import { JobFailure } from './job-failure.js';

/**
 * Every engine's job connects to one address, resolved once and checked against the operator's
 * network policy here: what the pre-flight checked is what the dump and restore tools reach.
 */

/** A service's connection with the address its host resolved to, which every connection of the job uses. */
export interface PinnedTarget extends Connection {
  address: string;
}

/** How a job turns a host into the address it connects to (the operator's network policy checks it there). */
export type ResolveAddress = (host: string, port: number) => Promise<string>;

/** The operator's policy as the job's resolver: every address of the name checked, the one connected to returned. */
export function resolveWithin(policy: NetworkPolicy | undefined): ResolveAddress {
  if (!policy) return resolveByDns;
  return async (host, port) => (await resolveTarget(policy, host, port)).address;
}

/** Resolves the host once: an IP literal is its own address, a name takes its first DNS answer. */
export const resolveByDns: ResolveAddress = async (host) => {
  const literal = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(literal)) return literal;
  const [first] = await lookup(host, { all: true, verbatim: true });
  if (!first) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  return first.address;
};

/**
 * Checks the connection against the shared rule (a job from before the rule, or a command
 * forged on the bus, stops here), then pins its host to one address.
 */
export async function pinTarget(connection: Connection, resolve: ResolveAddress = resolveByDns): Promise<PinnedTarget> {
  const problems = connectionProblems(connection);
  if (problems.length > 0) {
    throw new JobFailure({ code: 'target_not_allowed', message: `the service's connection is not allowed (${problems.join('; ')}); register the service again with plain values` });
  }
  try {
    return { ...connection, address: await resolve(connection.host, connection.port) };
  } catch (error) {
    if (error instanceof JobFailure) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'target_not_allowed') {
      // The same words whatever the port's state: no scanning through failure messages.
      throw new JobFailure({ code: 'target_not_allowed', message: `${connection.host} is not in a network the operator allows services in; ask the operator (LIFEBOAT_SERVICE_NETWORKS)` }, { cause: error });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA' || code === 'host_not_found') {
      throw new JobFailure({ code: 'host_not_found', message: `the host name "${connection.host}" does not resolve; check the service's host` }, { cause: error });
    }
    throw error;
  }
}
