import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, authorize } from '../../access.js';
import { recordAudit } from '../../audit.js';
import type { ControlPlane } from '../../context.js';
import { ApiError, apiErrors } from '../../errors.js';
import { serviceStatuses } from '../../service-status.js';
import { findService, listServices, registerService, removeService, serviceView } from '../../services.js';
import { checkTargetAllowed } from '../../target-check.js';
import { principal } from '../authenticate.js';
import { errorBody, newServiceBody, projectIdParam, service, serviceIdParam, supportedEngines } from '../schemas.js';

export function serviceRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/projects/:projectId/services',
      {
        schema: {
          summary: 'Register a catalog service (admin; owner too when LIFEBOAT_SERVICE_REGISTRATION=owner)',
          description: `An engine other than ${supportedEngines.join(', ')} is answered with 400 unsupported_engine, whatever its spelling.`,
          params: projectIdParam,
          body: newServiceBody,
          response: { 201: service, 400: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
        },
        // Before validation, so an engine that is no string at all is told apart from other bad input too.
        preValidation: async (request) => refuseUnsupportedEngine(request.body),
      },
      async (request, reply) => {
        const { projectId } = request.params;
        const caller = principal(request);
        authorize(caller, projectId, 'owner', { kind: 'project', id: projectId });
        if (plane.settings.serviceRegistration === 'admin' && caller.kind !== 'admin') throw apiErrors.registrationByOperator();
        const project = await plane.db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
        if (!project) throw apiErrors.notFound('project', projectId);
        await checkTargetAllowed(plane.settings.networkPolicy, request.body.connection, plane.logger);
        const { skipUnreadable, excludeTables, ...registration } = request.body;
        const row = await registerService(plane.db, plane.keys.credentials, { ...registration, projectId, backupSettings: { skipUnreadable, excludeTables } });
        await recordAudit(plane.db, { projectId, actor: actorOf(principal(request)), action: 'service.registered', target: { kind: 'service', id: row.id }, details: { name: row.name } });
        return reply.status(201).send(serviceView(row, plane.settings.networkPolicy));
      },
    );

    app.get(
      '/v1/projects/:projectId/services',
      { schema: { summary: "List a project's services", params: projectIdParam, response: { 200: z.object({ services: z.array(service).describe("the project's services") }) } } },
      async (request) => {
        const { projectId } = request.params;
        authorize(principal(request), projectId, 'viewer', { kind: 'project', id: projectId });
        return { services: (await listServices(plane.db, projectId)).map((row) => serviceView(row, plane.settings.networkPolicy)) };
      },
    );

    app.get(
      '/v1/projects/:projectId/service-status',
      {
        schema: {
          summary: "Each service's last success, latest attempt, next run, and whether it is overdue",
          params: projectIdParam,
          response: {
            200: z.object({
              services: z.array(
                z.object({
                  service,
                  lastSuccess: z
                    .object({ backupId: z.string().describe('its newest succeeded backup'), finishedAt: z.string().describe('when that ended (ISO 8601, UTC)') })
                    .nullable()
                    .describe('null: no backup has succeeded'),
                  latest: z
                    .object({
                      backupId: z.string().describe('its newest backup'),
                      status: z.string().describe("that backup's status"),
                      failure: z
                        .object({ code: z.string().describe('failure code'), message: z.string().describe('for people') })
                        .nullable()
                        .describe('set when it failed'),
                    })
                    .nullable()
                    .describe('the latest attempt; null: never backed up'),
                  inProgress: z.string().nullable().describe('the backup in progress now; null: none'),
                  schedule: z
                    .object({
                      cron: z.string().describe('five-field cron expression'),
                      timezone: z.string().describe('IANA timezone it is read in'),
                      nextRunAt: z.string().nullable().describe('the next run (ISO 8601, UTC)'),
                    })
                    .nullable()
                    .describe('null: not scheduled'),
                  stale: z.boolean().describe('the last success is older than the schedule promises'),
                }),
              ).describe("each of the project's services"),
            }),
          },
        },
      },
      async (request) => {
        const { projectId } = request.params;
        authorize(principal(request), projectId, 'viewer', { kind: 'project', id: projectId });
        return { services: await serviceStatuses(plane.db, projectId, plane.settings.scheduleJitterSeconds, new Date(), plane.settings.networkPolicy) };
      },
    );

    app.get(
      '/v1/services/:serviceId',
      { schema: { summary: 'Read a service', params: serviceIdParam, response: { 200: service, 404: errorBody } } },
      async (request) => {
        const row = await findService(plane.db, request.params.serviceId);
        authorize(principal(request), row.project_id, 'viewer', { kind: 'service', id: row.id });
        return serviceView(row, plane.settings.networkPolicy);
      },
    );

    app.delete(
      '/v1/services/:serviceId',
      { schema: { summary: 'Remove a service (owner); its backups stay', params: serviceIdParam, response: { 204: z.null(), 404: errorBody, 409: errorBody } } },
      async (request, reply) => {
        const row = await findService(plane.db, request.params.serviceId);
        authorize(principal(request), row.project_id, 'owner', { kind: 'service', id: row.id });
        await removeService(plane.db, row);
        await recordAudit(plane.db, { projectId: row.project_id, actor: actorOf(principal(request)), action: 'service.removed', target: { kind: 'service', id: row.id }, details: { name: row.name } });
        return reply.status(204).send(null);
      },
    );
  };
}

/** `unsupported_engine` for any engine given that is not one we back up: `"mysql"`, `""`, `5`, `null`; a missing one is left to the schema. */
export function refuseUnsupportedEngine(body: unknown): void {
  if (typeof body !== 'object' || body === null || !('engine' in body)) return;
  const { engine } = body;
  if (typeof engine === 'string' && (supportedEngines as readonly string[]).includes(engine)) return;
  throw new ApiError('unsupported_engine', `engine ${shownEngine(engine)} is not supported; supported: ${supportedEngines.join(', ')}`);
}

// The value came from the caller: bounded, and only its kind when it is no string or number.
function shownEngine(engine: unknown): string {
  if (typeof engine === 'string') return JSON.stringify(engine.length > 40 ? `${engine.slice(0, 40)}…` : engine);
  if (typeof engine === 'number' || typeof engine === 'boolean' || engine === null) return String(engine);
  return Array.isArray(engine) ? '(an array)' : '(an object)';
}
