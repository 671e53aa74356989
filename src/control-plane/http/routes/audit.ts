import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditView, listAudit, targetNames } from '../../audit.js';
import type { ControlPlane } from '../../context.js';
import { apiErrors } from '../../errors.js';
import { principal } from '../authenticate.js';
import { auditEntry, auditQuery, errorBody } from '../schemas.js';

export function auditRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/audit',
      {
        schema: {
          summary: 'Who did what, when, to which object; newest first',
          description:
            "A project token sees its own project's entries; the admin token sees every project's, and operator actions. Filters: action, actor, targetId, since/until (ISO 8601); a page at a time (limit, then cursor = nextCursor). Each entry names its object (targetName).",
          querystring: auditQuery,
          response: { 200: z.object({ entries: z.array(auditEntry).describe('newest first'), nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page') }), 404: errorBody },
        },
      },
      async (request) => {
        const caller = principal(request);
        const { projectId, cursor, since, until, ...filters } = request.query;
        if (caller.kind === 'project' && projectId !== undefined && projectId !== caller.projectId) throw apiErrors.notFound('project', projectId);
        const page = await listAudit(plane.db, {
          ...filters,
          projectId: caller.kind === 'project' ? caller.projectId : projectId,
          since: since ? new Date(since) : undefined,
          until: until ? new Date(until) : undefined,
          before: cursor === undefined ? undefined : Number(cursor),
        });
        const names = await targetNames(plane.db, page.entries);
        return { entries: page.entries.map((row) => auditView(row, names)), nextCursor: page.nextCursor };
      },
    );
  };
}
