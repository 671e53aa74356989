import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireAdmin } from '../../access.js';
import type { ControlPlane } from '../../context.js';
import { newId } from '../../ids.js';
import { principal } from '../authenticate.js';
import { errorBody, newProjectBody, project } from '../schemas.js';

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
  };
}
