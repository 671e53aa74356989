import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, authorize, issuedLifetimeRefusal, mayIssueToken } from '../../access.js';
import type { ControlPlane } from '../../context.js';
import { apiErrors } from '../../errors.js';
import { findProjectToken, issueProjectToken, listProjectTokens, revokeProjectToken, tokenView } from '../../project-tokens.js';
import { principal } from '../authenticate.js';
import { errorBody, issuedToken, newTokenBody, projectIdParam, projectTokenInfo, tokenIdParam } from '../schemas.js';

/** A project's tokens: issued, listed and revoked by its owners (or the operator). */
export function tokenRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    async function requireProject(projectId: string): Promise<void> {
      const exists = await plane.db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
      if (!exists) throw apiErrors.notFound('project', projectId);
    }

    app.post(
      '/v1/projects/:projectId/tokens',
      {
        schema: {
          summary: 'Issue a project token (admin or owner, never above its own role); the token is shown once',
          params: projectIdParam,
          body: newTokenBody,
          description: 'A token that expires can only issue tokens that expire no later than itself (400 otherwise).',
          response: { 201: issuedToken, 400: errorBody, 403: errorBody, 404: errorBody },
        },
      },
      async (request, reply) => {
        const { projectId } = request.params;
        const caller = principal(request);
        authorize(caller, projectId, 'owner', { kind: 'project', id: projectId });
        const verdict = mayIssueToken(caller, request.body.role);
        if (!verdict.allowed) throw apiErrors.forbidden(verdict.needed);
        const outlives = issuedLifetimeRefusal(caller, request.body.expiresInDays, new Date());
        if (outlives) throw apiErrors.invalidRequest(outlives);
        await requireProject(projectId);
        const { token, row } = await issueProjectToken(plane.db, { projectId, role: request.body.role, expiresInDays: request.body.expiresInDays, actor: actorOf(caller) });
        return reply.status(201).send({ ...tokenView(row), token });
      },
    );

    app.get(
      '/v1/projects/:projectId/tokens',
      {
        schema: {
          summary: "A project's tokens, oldest first, revoked and expired ones included (admin or owner); never their secrets",
          params: projectIdParam,
          response: { 200: z.object({ tokens: z.array(projectTokenInfo).describe('oldest first, revoked and expired ones included') }), 403: errorBody, 404: errorBody },
        },
      },
      async (request) => {
        const { projectId } = request.params;
        authorize(principal(request), projectId, 'owner', { kind: 'project', id: projectId });
        await requireProject(projectId);
        return { tokens: (await listProjectTokens(plane.db, projectId)).map(tokenView) };
      },
    );

    app.delete(
      '/v1/tokens/:tokenId',
      {
        schema: {
          summary: 'Revoke a project token (admin or owner): it answers 401 from the next request on, on every replica',
          params: tokenIdParam,
          response: { 204: z.null(), 403: errorBody, 404: errorBody },
        },
      },
      async (request, reply) => {
        const { tokenId } = request.params;
        const caller = principal(request);
        const row = await findProjectToken(plane.db, tokenId);
        if (!row) throw apiErrors.notFound('token', tokenId);
        authorize(caller, row.project_id, 'owner', { kind: 'token', id: tokenId });
        await revokeProjectToken(plane.db, row, actorOf(caller));
        return reply.status(204).send(null);
      },
    );
  };
}
