import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, authorize } from '../../access.js';
import { recordAudit } from '../../audit.js';
import type { ControlPlane } from '../../context.js';
import { previewRetention, refreshExpiryDates } from '../../retention-sweep.js';
import { checkScheduleInput, deleteSchedule, findSchedule, putSchedule, scheduleView } from '../../schedules.js';
import { findService, refuseArchivedService } from '../../services.js';
import { principal } from '../authenticate.js';
import { errorBody, retentionPreview, schedule, scheduleBody, scheduleCheck, scheduleCheckBody, serviceIdParam } from '../schemas.js';

export function scheduleRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  const jitter = () => plane.settings.scheduleJitterSeconds;
  return async (app) => {
    app.get(
      '/v1/services/:serviceId/schedule',
      { schema: { summary: "A service's schedule and retention, with its next runs", params: serviceIdParam, response: { 200: schedule, 404: errorBody } } },
      async (request) => {
        const service = await findService(plane.db, request.params.serviceId);
        authorize(principal(request), service.project_id, 'viewer', { kind: 'service', id: service.id });
        return scheduleView(await findSchedule(plane.db, service.id), jitter(), new Date());
      },
    );

    app.put(
      '/v1/services/:serviceId/schedule',
      {
        schema: {
          summary: 'Set the schedule and retention (owner)',
          description:
            "cron (five fields) in the given IANA timezone; runs at most once per the operator's minimum interval (one hour by default); missed runs are not replayed; retention applies to succeeded backups. An archived service is 409 service_archived (archiving removed its schedule).",
          params: serviceIdParam,
          body: scheduleBody,
          response: { 200: schedule, 400: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (request) => {
        const service = await findService(plane.db, request.params.serviceId);
        authorize(principal(request), service.project_id, 'owner', { kind: 'service', id: service.id });
        refuseArchivedService(service, 'be scheduled');
        const now = new Date();
        const row = await putSchedule(plane.db, service, request.body, { jitterWindowSeconds: jitter(), minIntervalSeconds: plane.settings.minScheduleIntervalSeconds }, now);
        await refreshExpiryDates(plane.db, service.id);
        await recordAudit(plane.db, { projectId: service.project_id, actor: actorOf(principal(request)), action: 'schedule.set', target: { kind: 'service', id: service.id }, details: request.body });
        return scheduleView(row, jitter(), now);
      },
    );

    app.post(
      '/v1/services/:serviceId/schedule/check',
      {
        schema: {
          summary: 'Check a schedule before saving it: the problem PUT would answer, or its next runs',
          description: 'Saves nothing. Answers 200 either way: `problem` is null when PUT would accept the cron expression and timezone. Viewer role.',
          params: serviceIdParam,
          body: scheduleCheckBody,
          response: { 200: scheduleCheck, 400: errorBody, 404: errorBody },
        },
      },
      async (request) => {
        const service = await findService(plane.db, request.params.serviceId);
        authorize(principal(request), service.project_id, 'viewer', { kind: 'service', id: service.id });
        return checkScheduleInput(service.id, request.body, { jitterWindowSeconds: jitter(), minIntervalSeconds: plane.settings.minScheduleIntervalSeconds }, new Date());
      },
    );

    app.delete(
      '/v1/services/:serviceId/schedule',
      { schema: { summary: 'Remove the schedule (owner); existing backups stay', params: serviceIdParam, response: { 204: z.null(), 404: errorBody } } },
      async (request, reply) => {
        const service = await findService(plane.db, request.params.serviceId);
        authorize(principal(request), service.project_id, 'owner', { kind: 'service', id: service.id });
        await deleteSchedule(plane.db, service.id);
        await refreshExpiryDates(plane.db, service.id);
        await recordAudit(plane.db, { projectId: service.project_id, actor: actorOf(principal(request)), action: 'schedule.removed', target: { kind: 'service', id: service.id } });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/v1/services/:serviceId/retention/preview',
      { schema: { summary: 'What the retention policy keeps and would expire now', params: serviceIdParam, response: { 200: retentionPreview, 404: errorBody } } },
      async (request) => {
        const service = await findService(plane.db, request.params.serviceId);
        authorize(principal(request), service.project_id, 'viewer', { kind: 'service', id: service.id });
        return previewRetention(plane.db, service.id, new Date());
      },
    );
  };
}
