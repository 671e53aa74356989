import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, authorize } from '../../access.js';
import { recordAudit } from '../../audit.js';
import type { ControlPlane } from '../../context.js';
import { ApiError, apiErrors } from '../../errors.js';
import { serviceStatuses } from '../../service-status.js';
import { refreshExpiryDates } from '../../retention-sweep.js';
import { duplicateWarnings, projectDuplicates } from '../../service-duplicates.js';
import { archiveService, purgeService } from '../../service-removal.js';
import { changedFields, changesConnection, type ConnectionTest, noConnectionTest, updateService } from '../../service-updates.js';
import { findService, listServices, registerService, serviceView } from '../../services.js';
import { checkTargetAllowed } from '../../target-check.js';
import { principal } from '../authenticate.js';
import {
  errorBody,
  newServiceBody,
  projectIdParam,
  purgeResult,
  service,
  serviceChangesBody,
  serviceIdParam,
  serviceListQuery,
  serviceRemovalQuery,
  serviceWithWarnings,
  supportedEngines,
} from '../schemas.js';

/**
 * `testBeforeSaving` runs with a changed connection before a PATCH saves it (the connection
 * check plugs in here); by default nothing is checked.
 */
export function serviceRoutes(plane: ControlPlane, options: { testBeforeSaving?: ConnectionTest } = {}): FastifyPluginAsyncZod {
  const testBeforeSaving = options.testBeforeSaving ?? noConnectionTest;
  return async (app) => {
    app.post(
      '/v1/projects/:projectId/services',
      {
        schema: {
          summary: 'Register a catalog service (admin; owner too when LIFEBOAT_SERVICE_REGISTRATION=owner)',
          description: `An engine other than ${supportedEngines.join(', ')} is answered with 400 unsupported_engine, whatever its spelling. A name an archived service had is free. Another active service of the project at the same host, port and database is accepted with a duplicate_target warning.`,
          params: projectIdParam,
          body: newServiceBody,
          response: { 201: serviceWithWarnings, 400: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
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
        const row = await registerService(plane.db, plane.keys.credentials, { ...request.body, projectId });
        await recordAudit(plane.db, { projectId, actor: actorOf(principal(request)), action: 'service.registered', target: { kind: 'service', id: row.id }, details: { name: row.name } });
        const duplicates = await projectDuplicates(plane.db, projectId);
        return reply.status(201).send({ ...serviceView(row, plane.settings.networkPolicy, duplicates.get(row.id) ?? null), warnings: duplicateWarnings(row, duplicates) });
      },
    );

    app.get(
      '/v1/projects/:projectId/services',
      {
        schema: {
          summary: "List a project's active services, or with archived=true its archived ones",
          params: projectIdParam,
          querystring: serviceListQuery,
          response: { 200: z.object({ services: z.array(service).describe("the project's services, by name") }) },
        },
      },
      async (request) => {
        const { projectId } = request.params;
        authorize(principal(request), projectId, 'viewer', { kind: 'project', id: projectId });
        const rows = await listServices(plane.db, projectId, { archived: request.query.archived === 'true' });
        const duplicates = await projectDuplicates(plane.db, projectId);
        return { services: rows.map((row) => serviceView(row, plane.settings.networkPolicy, row.archived_at ? null : (duplicates.get(row.id) ?? null))) };
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
      { schema: { summary: 'Read a service (active or archived)', params: serviceIdParam, response: { 200: service, 404: errorBody } } },
      async (request) => {
        const row = await findService(plane.db, request.params.serviceId);
        authorize(principal(request), row.project_id, 'viewer', { kind: 'service', id: row.id });
        const duplicates = row.archived_at ? new Map<string, string>() : await projectDuplicates(plane.db, row.project_id);
        return serviceView(row, plane.settings.networkPolicy, duplicates.get(row.id) ?? null);
      },
    );

    app.patch(
      '/v1/services/:serviceId',
      {
        schema: {
          summary: "Change a service's name or connection (owner; a connection change needs the registration role)",
          description:
            'Fields left out keep their value; each given one is validated as at registration, and a new host is checked against the network policy. A connection change is tested before it is saved. A name another active service of the project holds is 409 service_name_taken; an archived service is 409 service_archived. Audited with the names of the fields changed, never the password.',
          params: serviceIdParam,
          body: serviceChangesBody,
          response: { 200: serviceWithWarnings, 400: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (request) => {
        const caller = principal(request);
        const row = await findService(plane.db, request.params.serviceId);
        authorize(caller, row.project_id, 'owner', { kind: 'service', id: row.id });
        const changes = request.body;
        // Who may set a connection is the operator's choice, as at registration; a name is the owner's.
        if (changesConnection(changes) && plane.settings.serviceRegistration === 'admin' && caller.kind !== 'admin') throw apiErrors.registrationByOperator();
        const given = changes.connection;
        if (given?.host !== undefined || given?.port !== undefined) {
          await checkTargetAllowed(plane.settings.networkPolicy, { host: given.host ?? row.host, port: given.port ?? row.port }, plane.logger);
        }
        const fields = changedFields(row, changes);
        const updated = await updateService(plane.db, plane.keys.credentials, row, changes, testBeforeSaving);
        await recordAudit(plane.db, {
          projectId: row.project_id,
          actor: actorOf(caller),
          action: 'service.updated',
          target: { kind: 'service', id: row.id },
          details: {
            name: updated.name,
            changed: fields,
            before: { name: row.name, host: row.host, port: row.port, database: row.database_name, user: row.username },
          },
        });
        const duplicates = await projectDuplicates(plane.db, row.project_id);
        return { ...serviceView(updated, plane.settings.networkPolicy, duplicates.get(updated.id) ?? null), warnings: duplicateWarnings(updated, duplicates) };
      },
    );

    app.delete(
      '/v1/services/:serviceId',
      {
        schema: {
          summary: 'Archive a service (owner); with purge=true&confirm=<name>, delete its backups for good',
          description:
            "Archiving removes it from the catalog and its schedule, frees its name, and keeps its backups listable, downloadable and restorable (204; archiving an archived one changes nothing). purge=true (owner) archives it if need be and deletes every backup's files: it answers how many backups it removed; confirm must be the service's name (400 otherwise). Either waits until no backup or restore of it runs (409).",
          params: serviceIdParam,
          querystring: serviceRemovalQuery,
          response: { 200: purgeResult, 204: z.null(), 400: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (request, reply) => {
        const caller = principal(request);
        const row = await findService(plane.db, request.params.serviceId);
        authorize(caller, row.project_id, 'owner', { kind: 'service', id: row.id });
        if (request.query.purge === 'true') {
          const purged = await purgeService(plane.db, row, { confirm: request.query.confirm, actor: actorOf(caller) });
          plane.wakeRelay();
          return reply.status(200).send({ purged });
        }
        await archiveService(plane.db, row, actorOf(caller));
        // The schedule went with it: no policy expires its backups any more.
        await refreshExpiryDates(plane.db, row.id);
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
