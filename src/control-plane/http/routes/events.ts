import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ControlPlane } from '../../context.js';
import { ApiError, apiErrors } from '../../errors.js';
import { LiveChanges, replayWindowSeconds, resumeCursor } from '../../live-changes.js';
import { WakeSignal } from '../../../polling/wake-signal.js';
import { principal, stillAuthenticated } from '../authenticate.js';
import { errorBody } from '../schemas.js';
import { StreamSlots } from '../stream-slots.js';

const heartbeatMs = 15_000;
const pollMs = 1_000;

/**
 * Server-sent events for the dashboard: every backup and restore of the project as it changes
 * (status, bytes written, verdicts). Each stream polls the database every second (one indexed
 * query per table), so it sees every replica's writes behind a load balancer; a NOTIFY from the
 * writers would make backups commit one at a time (docs/decisions.md). Each event's id is the
 * change time: a reconnecting client resumes from Last-Event-ID (and may see the changes of the
 * few seconds before it again: LiveChanges looks back for late commits), within the last hour.
 * Open streams are capped per token and per project (LIFEBOAT_MAX_EVENT_STREAMS_PER_*).
 */
export function eventRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  const slots = new StreamSlots(plane.settings.maxEventStreams);
  return async (app) => {
    app.get(
      '/v1/events',
      {
        schema: {
          summary: 'Live changes to the project’s backups and restores (text/event-stream)',
          description: `Resumes after Last-Event-ID, at most ${replayWindowSeconds / 3600} hour back; 429 too_many_streams when the token or project has the most streams open that this Lifeboat allows.`,
          querystring: z.object({ projectId: z.string().regex(/^prj_[0-9a-z]{16}$/, 'must be a prj_… id').optional() }).strict(),
          response: { 400: errorBody, 404: errorBody, 429: errorBody },
        },
      },
      async (request, reply) => {
        const caller = principal(request);
        const projectId = caller.kind === 'project' ? caller.projectId : request.query.projectId;
        if (!projectId) throw apiErrors.invalidRequest('the admin token must name a project: ?projectId=prj_…');
        if (caller.kind === 'project' && request.query.projectId && request.query.projectId !== projectId) throw apiErrors.notFound('project', request.query.projectId);

        const slot = slots.take(caller.kind === 'admin' ? 'admin' : caller.tokenId, projectId);
        if (!('release' in slot)) {
          const whose = slot.limit === 'token' ? 'this token' : 'this project';
          throw new ApiError('too_many_streams', `${whose} already has ${slot.max} live event streams open, the most this Lifeboat allows; close one (another tab?) and try again`);
        }
        const lastEventId = request.headers['last-event-id'];
        const changes = new LiveChanges(plane.db, projectId, resumeCursor(typeof lastEventId === 'string' ? lastEventId : undefined, new Date()));
        reply.hijack();
        const out = reply.raw;
        let closed = false;
        const wakeSignal = new WakeSignal();
        out.on('close', () => {
          closed = true;
          wakeSignal.notify();
        });
        // A client that went away while the request was authenticated closed before the listener:
        // without this, its stream would poll (and hold its slot) until the process ends.
        if (request.raw.destroyed || out.destroyed) closed = true;
        try {
          // The headers set before (security headers, no-store) are on `out` already; writeHead adds these.
          out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
          out.write(`retry: 2000\n\n`);
          let lastBeat = Date.now();
          while (!closed) {
            for (const change of await changes.next()) out.write(`id: ${change.at}\nevent: ${change.event}\ndata: ${JSON.stringify(change.data)}\n\n`);
            if (Date.now() - lastBeat > heartbeatMs) {
              // Revoking or expiring a token ends its open streams too, within a heartbeat.
              if (!(await stillAuthenticated(plane, request))) break;
              out.write(': keep-alive\n\n');
              lastBeat = Date.now();
            }
            await wakeSignal.sleep(pollMs);
          }
        } catch (error) {
          // The database went away: end the stream; the browser reconnects (retry: 2000) from its last event.
          request.log.warn({ err: error }, 'live view stopped');
        } finally {
          // The slot is the stream's whatever ended it: the client, the server's close, or the database.
          slot.release();
        }
        out.end();
      },
    );
  };
}
