import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { type Principal, principalOf } from '../access.js';
import { apiErrors } from '../errors.js';
import type { ControlTables } from '../tables.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a token (health, signed downloads, the OpenAPI document). */
    public?: boolean;
  }
}

/** Resolves `Authorization: Bearer <token>` for every /v1 route not marked public (the dashboard's files are public). */
export function installAuthentication(app: FastifyInstance, db: Kysely<ControlTables>, adminToken: string): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true || !request.url.startsWith('/v1/')) return;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const principal = match?.[1] ? await principalOf(db, adminToken, match[1]) : null;
    if (!principal) throw apiErrors.unauthorized();
    request.principal = principal;
  });
}

/** The caller of an authenticated route. */
export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw apiErrors.unauthorized();
  return request.principal;
}
