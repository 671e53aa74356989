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
import { changedBackupSettings, changedFields, changesConnection, updateService } from '../../service-updates.js';
import { findService, listServices, refuseArchivedService, registerService, sealRegistration, serviceView } from '../../services.js';
import { checkTargetAllowed } from '../../target-check.js';
import { seal } from '../../../secrets/sealed-box.js';
import { backupSettingsOf, engineNamed, engineSpellings } from '../../../contracts/index.js';
import { checkBeforeSaving, checkConnection } from '../../connection-checks.js';
import { hangUpSignal } from '../hang-up.js';
import { principal } from '../authenticate.js';
import {
  connectionCheckResult,
  errorBody,
  newServiceBody,
  projectIdParam,
  purgeResult,
  registrationQuery,
  service,
  serviceChangesBody,
  serviceIdParam,
  serviceListQuery,
  serviceRemovalQuery,
  serviceWithWarnings,
} from '../schemas.js';

export function serviceRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/projects/:projectId/services',
      {
        schema: {
          summary: 'Register a catalog service (admin; owner too when LIFEBOAT_SERVICE_REGISTRATION=owner)',
          description: `An engine other than ${engineSpellings.join(', ')} is answered with 400 unsupported_engine, whatever its spelling. A name an archived service had is free. Another active service of the project at the same host, port and database is accepted with a duplicate_target warning. Before anything is saved, the connection is checked with the pre-flight a backup runs (as POST /v1/services/:serviceId/test-connection does): a check that fails answers 422 with the failure's code (auth_failed, host_not_found, permission_denied, …) and message, and saves nothing; no verdict within LIFEBOAT_CONNECTION_CHECK_WAIT_SECONDS (30 s) answers 504 check_timed_out. ?skipCheck=true saves without the check.`,
          params: projectIdParam,
          querystring: registrationQuery,
          body: newServiceBody,
          response: { 201: serviceWithWarnings, 400: errorBody, 403: errorBody, 404: errorBody, 409: errorBody, 422: errorBody, 504: errorBody },
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
        const sealed = sealRegistration(plane.keys.credentials, request.body.connection.password);
        if (request.query.skipCheck !== 'true') {
          // A name already taken would be refused after a check of up to half a minute: refused first.
          const taken = await plane.db.selectFrom('services').select('id').where('project_id', '=', projectId).where('name', '=', request.body.name).where('archived_at', 'is', null).executeTakeFirst();
          if (taken) throw new ApiError('service_name_taken', `this project already has a service named ${request.body.name}`);
          const { password: _password, ...connection } = request.body.connection;
          await checkBeforeSaving(
            plane,
            { projectId, serviceId: sealed.id, forRegistration: true, engine: request.body.engine, connection, sealedPassword: sealed.sealedPassword, requestedBy: actorOf(caller), backupSettings: { skipUnreadable, excludeTables } },
            hangUpSignal(reply),
          );
        }
        const row = await registerService(plane.db, plane.keys.credentials, { ...registration, projectId, backupSettings: { skipUnreadable, excludeTables } }, sealed);
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
            'Fields left out keep their value; each given one is validated as at registration, and a new host is checked against the network policy. A connection change is checked before it is saved, with the pre-flight a backup runs (as at registration: 422 with the failure code, saving nothing; ?skipCheck=true saves without it). A name another active service of the project holds is 409 service_name_taken; an archived service is 409 service_archived. Audited with the names of the fields changed, never the password.',
          params: serviceIdParam,
          querystring: registrationQuery,
          body: serviceChangesBody,
          response: { 200: serviceWithWarnings, 400: errorBody, 403: errorBody, 404: errorBody, 409: errorBody, 422: errorBody, 504: errorBody },
        },
      },
      async (request, reply) => {
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
        refuseArchivedService(row, 'be changed');
        if ((changesConnection(changes) || changes.skipUnreadable !== undefined || changes.excludeTables !== undefined) && request.query.skipCheck !== 'true') {
          // Checked before the row is locked: the check is a job that may take half a minute.
          const { password, ...connection } = { host: row.host, port: row.port, database: row.database_name, user: row.username, ...given };
          await checkBeforeSaving(
            plane,
            {
              projectId: row.project_id,
              serviceId: row.id,
              forRegistration: false,
              engine: row.engine,
              connection,
              sealedPassword: password === undefined ? row.sealed_password : seal(plane.keys.credentials, password, row.id),
              requestedBy: actorOf(caller),
              backupSettings: changedBackupSettings(row, changes),
            },
            hangUpSignal(reply),
          );
        }
        const fields = changedFields(row, changes);
        const updated = await updateService(plane.db, plane.keys.credentials, row, changes);
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

    app.post(
      '/v1/services/:serviceId/test-connection',
      {
        schema: {
          summary: "Check a service's connection with the pre-flight a backup runs (member)",
          description:
            "Runs, as a job, what a backup checks before it dumps: the network policy, the credentials, that the server is the database and user registered (target_mismatch), pg_dump's version, and that the user can read every object (permission_denied). Answers 200 with the verdict, ok or failed with the code a backup would fail with; 504 check_timed_out when no verdict arrives within LIFEBOAT_CONNECTION_CHECK_WAIT_SECONDS (30 s).",
          params: serviceIdParam,
          response: { 200: connectionCheckResult, 404: errorBody, 504: errorBody },
        },
      },
      async (request, reply) => {
        const caller = principal(request);
        const row = await findService(plane.db, request.params.serviceId);
        authorize(caller, row.project_id, 'member', { kind: 'service', id: row.id });
        const result = await checkConnection(
          plane,
          {
            projectId: row.project_id,
            serviceId: row.id,
            forRegistration: false,
            engine: row.engine,
            connection: { host: row.host, port: row.port, database: row.database_name, user: row.username },
            sealedPassword: row.sealed_password,
            requestedBy: actorOf(caller),
            backupSettings: backupSettingsOf(row.backup_settings),
          },
          hangUpSignal(reply),
        );
        await recordAudit(plane.db, {
          projectId: row.project_id,
          actor: actorOf(caller),
          action: 'service.connection_tested',
          target: { kind: 'service', id: row.id },
          details: { checkId: result.id, result: result.result, ...(result.failure ? { failure: result.failure } : {}) },
        });
        return result;
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

/** `unsupported_engine` for any engine given that is not one we back up, nor an alias of one: `"oracle"`, `""`, `5`, `null`; a missing one is left to the schema. */
export function refuseUnsupportedEngine(body: unknown): void {
  if (typeof body !== 'object' || body === null || !('engine' in body)) return;
  const { engine } = body;
  if (engineNamed(engine)) return;
  throw new ApiError('unsupported_engine', `engine ${shownEngine(engine)} is not supported; supported: ${engineSpellings.join(', ')}`);
}

// The value came from the caller: bounded, and only its kind when it is no string or number.
function shownEngine(engine: unknown): string {
  if (typeof engine === 'string') return JSON.stringify(engine.length > 40 ? `${engine.slice(0, 40)}…` : engine);
  if (typeof engine === 'number' || typeof engine === 'boolean' || engine === null) return String(engine);
  return Array.isArray(engine) ? '(an array)' : '(an object)';
}
