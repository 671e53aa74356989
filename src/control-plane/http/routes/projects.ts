import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf, authorize, issueProjectToken, requireAdmin } from '../../access.js';
import { recordAudit } from '../../audit.js';
import type { ControlPlane } from '../../context.js';
import { apiErrors } from '../../errors.js';
import { newId } from '../../ids.js';
import { principal } from '../authenticate.js';
import { errorBody, issuedToken, newProjectBody, newTokenBody, project, projectIdParam } from '../schemas.js';

export function projectRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/projects',
      { schema: { summary: 'Create a project (admin)', body: newProjectBody, response: { 201: project, 403: errorBody } } },
      async (request, reply) => {
        requireAdmin(principal(request));
        const row = await plane.db.insertInto('projects').values({ id: newId('prj'), name: request.body.name }).returningAll().executeTakeFirstOrThrow();
        return reply.status(201).send({ id: row.id, name: row.name, createdAt: row.created_at.toISOString() });
      },
    );

    app.post(
      '/v1/projects/:projectId/tokens',
      {
        schema: {
          summary: 'Issue a project token (admin or owner); the token is shown once',
          params: projectIdParam,
          body: newTokenBody,
          response: { 201: issuedToken, 404: errorBody },
        },
      },
      async (request, reply) => {
        const { projectId } = request.params;
        authorize(principal(request), projectId, 'owner', { kind: 'project', id: projectId });
        const exists = await plane.db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
        if (!exists) throw apiErrors.notFound('project', projectId);
        const issued = await issueProjectToken(plane.db, projectId, request.body.role);
        await recordAudit(plane.db, { projectId, actor: actorOf(principal(request)), action: 'token.issued', target: { kind: 'token', id: issued.id }, details: { role: issued.role } });
        return reply.status(201).send({ ...issued, projectId });
      },
    );
  };
}
