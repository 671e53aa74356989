import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, authorize } from '../../access.js';
import { findBackup } from '../../backups.js';
import { availabilityOf, type ControlPlane } from '../../context.js';
import { apiErrors } from '../../errors.js';
import { restoreInProgress } from '../../restore-status.js';
import { planRestore } from '../../restore-plans.js';
import { findRestore, requestRestore, restoreView } from '../../restores.js';
import { findService } from '../../services.js';
import { principal } from '../authenticate.js';
import { hangUpSignal } from '../hang-up.js';
import { backupIdParam, errorBody, newRestoreBody, restore, restoreIdParam, restorePlan, restorePlanQuery, serviceIdParam, waitQuery } from '../schemas.js';

export function restoreRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/backups/:backupId/restores',
      {
        schema: {
          summary: 'Restore a backup into a new database (member), over the service or over another service of the project (owner)',
          description:
            "in_place needs confirm set to the service name and takes a safety backup first unless safetyBackup is false. service overwrites the database of another active, unblocked service of the same project and engine: confirm is that service's name, it takes a safety backup of that service first, exactly as in_place does, and the restore is listed under it. A backup of an archived service can be restored into a new database or another service. The artifact is checked against its SHA-256 before anything is touched.",
          params: backupIdParam,
          body: newRestoreBody,
          response: { 202: restore, 400: errorBody, 404: errorBody, 409: errorBody, 503: errorBody },
        },
      },
      async (request, reply) => {
        const caller = principal(request);
        const backup = await findBackup(plane.db, request.params.backupId);
        const { target } = request.body;
        // Overwriting a database (in place, or another service's) is an owner's decision.
        authorize(caller, backup.project_id, target.kind === 'new_database' ? 'member' : 'owner', { kind: 'backup', id: backup.id });
        const availability = await availabilityOf(plane);
        if (!availability.available) throw apiErrors.backupsUnavailable(availability.reason ?? 'unknown');
        const row = await requestRestore(plane.db, {
          backupId: backup.id,
          request: target,
          actor: actorOf(caller),
          deadlineSeconds: plane.settings.jobDeadlineSeconds,
          networkPolicy: plane.settings.networkPolicy,
        });
        return reply.status(202).header('location', `/v1/restores/${row.id}`).send(restoreView(row));
      },
    );

    app.get(
      '/v1/backups/:backupId/restore-plan',
      {
        schema: {
          summary: 'What a restore over a database would drop (owner)',
          description:
            "An in-place restore (and one over another service) leaves the database equal to the backup: the objects in it that the backup does not hold (tables, views, materialized views, sequences, foreign tables, functions, procedures, aggregates, types, domains, schemas, large objects) are dropped in the same transaction as the restore, after the safety backup. This runs a job that looks at the database now and at the backup's table of contents, and answers what the restore would drop; it changes nothing. Extensions and their objects, and what the backup left out on purpose, stay. Failures are the connection check's (422 with its code); 504 check_timed_out when no answer arrives within LIFEBOAT_CONNECTION_CHECK_WAIT_SECONDS.",
          params: backupIdParam,
          querystring: restorePlanQuery,
          response: { 200: restorePlan, 400: errorBody, 404: errorBody, 409: errorBody, 422: errorBody, 504: errorBody },
        },
      },
      async (request, reply) => {
        const caller = principal(request);
        const backup = await findBackup(plane.db, request.params.backupId);
        authorize(caller, backup.project_id, 'owner', { kind: 'backup', id: backup.id });
        const { target, serviceId } = request.query;
        return planRestore(plane, { backup, target: target === 'service' && serviceId ? { kind: 'service', serviceId } : { kind: 'in_place' }, actor: actorOf(caller), gone: hangUpSignal(reply) });
      },
    );

    app.get(
      '/v1/restores/:restoreId',
      { schema: { summary: 'Read a restore; with waitSeconds, once it has ended', params: restoreIdParam, querystring: waitQuery, response: { 200: restore, 404: errorBody } } },
      async (request, reply) => {
        const { restoreId } = request.params;
        const read = async () => {
          const row = await findRestore(plane.db, restoreId);
          authorize(principal(request), row.project_id, 'viewer', { kind: 'restore', id: row.id });
          return row;
        };
        return restoreView(await plane.changes.readUntil(restoreId, request.query.waitSeconds ?? 0, read, (row) => !restoreInProgress.includes(row.status), hangUpSignal(reply)));
      },
    );

    app.get(
      '/v1/services/:serviceId/restores',
      { schema: { summary: "A service's restores, newest first", params: serviceIdParam, response: { 200: z.object({ restores: z.array(restore).describe('newest first') }), 404: errorBody } } },
      async (request) => {
        const service = await findService(plane.db, request.params.serviceId);
        authorize(principal(request), service.project_id, 'viewer', { kind: 'service', id: service.id });
        const rows = await plane.db.selectFrom('restores').selectAll().where('service_id', '=', service.id).orderBy('requested_at', 'desc').limit(100).execute();
        return { restores: rows.map(restoreView) };
      },
    );
  };
}
