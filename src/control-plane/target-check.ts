import type { Logger } from 'pino';
import type { NetworkPolicy } from '../contracts/network-policy.js';
import { HostNotFoundError, isUnrestricted, type LookupAll, resolveTarget, TargetNotAllowedError } from '../network-policy/network-policy.js';
import { ApiError, apiErrors } from './errors.js';

/**
 * Refuses, as an API error, a host the network policy does not let Lifeboat reach, resolving
 * it now. Nothing connects to it here, so the answer cannot depend on whether a port is open.
 * The reason goes to the log for the operator, never to the caller.
 */
export async function checkTargetAllowed(
  policy: NetworkPolicy,
  target: { host: string; port: number },
  logger: Logger,
  lookup?: LookupAll,
): Promise<void> {
  // `serve` lets everything through: registering a name that does not resolve yet works, as it always did.
  if (isUnrestricted(policy)) return;
  try {
    await resolveTarget(policy, target.host, target.port, lookup);
  } catch (error) {
    if (error instanceof TargetNotAllowedError) {
      logger.info({ host: target.host, port: target.port, reason: error.reason }, 'target refused by the network policy');
      throw new ApiError('target_not_allowed', error.message, { cause: error });
    }
    if (error instanceof HostNotFoundError) {
      throw apiErrors.invalidRequest(`${error.message}: Lifeboat checks where a host points before accepting it; use a name that resolves, or its address`);
    }
    throw error;
  }
}
