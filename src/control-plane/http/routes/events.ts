import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ControlPlane } from '../../context.js';
import { apiErrors } from '../../errors.js';
import { changeTimePattern, LiveChanges } from '../../live-changes.js';
import { WakeSignal } from '../../../polling/wake-signal.js';
import { principal } from '../authenticate.js';

const heartbeatMs = 15_000;
const pollMs = 1_000;

/**
 * Server-sent events for the dashboard: every backup and restore of the project as it changes
 * (status, bytes written, verdicts). Each stream polls the database every second (one indexed
 * query per table), so it sees every replica's writes behind a load balancer; a NOTIFY from the
 * writers would make backups commit one at a time (docs/decisions.md). Each event's id is the
 * change time: a reconnecting client resumes from Last-Event-ID (and may see the changes of the
 * few seconds before it again: LiveChanges looks back for late commits).
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

        const lastEventId = String(request.headers['last-event-id'] ?? '');
        const changes = new LiveChanges(plane.db, projectId, changeTimePattern.test(lastEventId) ? lastEventId : new Date().toISOString().replace('Z', '000Z'));
        reply.hijack();
        const out = reply.raw;
        out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        out.write(`retry: 2000\n\n`);

        let closed = false;
        const wakeSignal = new WakeSignal();
        request.raw.on('close', () => {
          closed = true;
          wakeSignal.notify();
        });
        let lastBeat = Date.now();
        try {
          while (!closed) {
            for (const change of await changes.next()) out.write(`id: ${change.at}\nevent: ${change.event}\ndata: ${JSON.stringify(change.data)}\n\n`);
            if (Date.now() - lastBeat > heartbeatMs) {
              out.write(': keep-alive\n\n');
              lastBeat = Date.now();
            }
            await wakeSignal.sleep(pollMs);
          }
        } catch (error) {
          // The database went away: end the stream; the browser reconnects (retry: 2000) from its last event.
          request.log.warn({ err: error }, 'live view stopped');
        }
        out.end();
      },
    );
  };
}
