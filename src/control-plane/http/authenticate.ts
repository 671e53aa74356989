import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../access.js';
import type { ControlPlane } from '../context.js';
import { apiErrors } from '../errors.js';
import { type AuthenticationFailure, authenticateToken } from '../project-tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a token (health, signed downloads, the OpenAPI document, the dashboard's files). */
    public?: boolean;
  }
}

/**
 * Resolves `Authorization: Bearer <token>` for every route Fastify matched that is not marked
 * public. The decision is taken on the matched route, never on the raw URL: `/%761/capabilities`
 * is routed to `/v1/capabilities` and needs its token like it. Unmatched URLs fall through to
 * the 404 handler, which names nothing but the path asked for.
 *
 * Failed authentications (a token that is unknown, revoked or expired; not a missing one) are
 * counted per client address; once an address has failed
 * `failuresPerMinute` times in a minute, all its requests to token routes answer 429 without
 * their token being looked at (so a guess cannot be told right from wrong) until the minute is
 * over. Successful requests are not counted. The count is held in each process.
 */
export async function installAuthentication(
  app: FastifyInstance,
  plane: Pick<ControlPlane, 'db' | 'adminToken' | 'metrics'> & { settings: Pick<ControlPlane['settings'], 'authFailuresPerMinute'> },
): Promise<void> {
  await app.register(rateLimit, { global: false });
  const failures = app.createRateLimit({ max: plane.settings.authFailuresPerMinute, timeWindow: 60_000 });

  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === undefined || request.routeOptions.config.public === true) return;
    // Checked before the lookup, so that a limited address costs no query, and again after it:
    // guesses sent all at once pass the first check together, and must not learn more than the
    // limit's worth of answers (a right guess past the limit answers 429 like a wrong one).
    const before = await failures(request, { increment: false });
    if (!before.isAllowed && before.remaining === 0) refuseAsRateLimited(plane, reply, before.ttlInSeconds);
    const outcome = await authenticate(plane, request);
    if ('principal' in outcome) {
      const after = await failures(request, { increment: false });
      if (!after.isAllowed && after.remaining === 0) refuseAsRateLimited(plane, reply, after.ttlInSeconds);
      request.principal = outcome.principal;
      return;
    }
    plane.metrics.authenticationFailures.inc({ reason: outcome.refused });
    // A request without a token guesses nothing; counting it would let anyone behind a shared
    // address (a proxy, a NAT) lock everyone there out with token-less requests.
    if (outcome.refused === 'missing') throw apiErrors.unauthorized();
    const counted = await failures(request);
    if (!counted.isAllowed && counted.isExceeded) refuseAsRateLimited(plane, reply, counted.ttlInSeconds);
    throw apiErrors.unauthorized();
  });
}

/** The request's token looked up again: a long-lived stream ends when its token is revoked or expires. */
export async function stillAuthenticated(plane: Pick<ControlPlane, 'db' | 'adminToken'>, request: FastifyRequest): Promise<boolean> {
  return 'principal' in (await authenticate(plane, request));
}

async function authenticate(plane: Pick<ControlPlane, 'db' | 'adminToken'>, request: FastifyRequest): Promise<{ principal: Principal } | { refused: AuthenticationFailure }> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!match?.[1]) return { refused: 'missing' };
  return authenticateToken(plane.db, plane.adminToken, match[1]);
}

function refuseAsRateLimited(plane: Pick<ControlPlane, 'metrics'>, reply: FastifyReply, retryAfterSeconds: number): never {
  plane.metrics.rateLimitedRequests.inc();
  const seconds = Math.max(1, retryAfterSeconds);
  reply.header('retry-after', String(seconds));
  throw apiErrors.rateLimited(seconds);
}

/** The caller of an authenticated route. */
export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw apiErrors.unauthorized();
  return request.principal;
}
