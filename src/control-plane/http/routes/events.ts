import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { backupView } from '../../backups.js';
import type { ControlPlane } from '../../context.js';
import { apiErrors } from '../../errors.js';
import { restoreView } from '../../restores.js';
import { principal } from '../authenticate.js';

const heartbeatMs = 15_000;
const pollMs = 1_000;

/**
 * Server-sent events for the dashboard: every backup and restore of the project as it changes
 * (status, bytes written, verdicts). Each stream polls the database every second (one indexed
 * query per table), so it sees every replica's writes behind a load balancer; a NOTIFY from the
 * writers would make backups commit one at a time (docs/decisions.md). Each event's id is the
 * change time: a reconnecting client resumes from Last-Event-ID.
 */
export function eventRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/events',
      {
        schema: {
          summary: 'Live changes to the project’s backups and restores (text/event-stream)',
          querystring: z.object({ projectId: z.string().regex(/^prj_[0-9a-z]{16}$/).optional() }).strict(),
        },
      },
      async (request, reply) => {
        const caller = principal(request);
        const projectId = caller.kind === 'project' ? caller.projectId : request.query.projectId;
        if (!projectId) throw apiErrors.invalidRequest('the admin token must name a project: ?projectId=prj_…');
        if (caller.kind === 'project' && request.query.projectId && request.query.projectId !== projectId) throw apiErrors.notFound('project', request.query.projectId);

        // The cursor is the change time at the database's precision (microseconds), as text: a JS
        // Date would round it down and send the same change again forever.
        const lastEventId = String(request.headers['last-event-id'] ?? '');
        let since = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(lastEventId) ? lastEventId : new Date().toISOString().replace('Z', '000Z');
        reply.hijack();
        const out = reply.raw;
        out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        out.write(`retry: 2000\n\n`);

        let closed = false;
        let wake: (() => void) | undefined;
        request.raw.on('close', () => {
          closed = true;
          wake?.();
        });
        let lastBeat = Date.now();
        while (!closed) {
          const changedAt = sql<string>`to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('changed_at');
          const after = sql<boolean>`updated_at > ${since}::timestamptz`;
          const [backups, restores] = await Promise.all([
            plane.db.selectFrom('backups').selectAll().select(changedAt).where('project_id', '=', projectId).where(after).orderBy('updated_at').limit(500).execute(),
            plane.db.selectFrom('restores').selectAll().select(changedAt).where('project_id', '=', projectId).where(after).orderBy('updated_at').limit(500).execute(),
          ]);
          const changes = [
            ...backups.map((row) => ({ at: row.changed_at, event: 'backup', data: backupView(row) })),
            ...restores.map((row) => ({ at: row.changed_at, event: 'restore', data: restoreView(row) })),
          ].sort((a, b) => a.at.localeCompare(b.at));
          for (const change of changes) {
            out.write(`id: ${change.at}\nevent: ${change.event}\ndata: ${JSON.stringify(change.data)}\n\n`);
            if (change.at > since) since = change.at;
          }
          if (Date.now() - lastBeat > heartbeatMs) {
            out.write(': keep-alive\n\n');
            lastBeat = Date.now();
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pollMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
        out.end();
      },
    );
  };
}
