import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, authorize } from '../../access.js';
import { recordAudit } from '../../audit.js';
import { cancelBackup, deleteBackup } from '../../backup-actions.js';
import { isTerminal } from '../../backup-status.js';
import { type BackupRow, backupView, contentsOf, findBackup, listBackups, requestBackup } from '../../backups.js';
import type { ControlPlane } from '../../context.js';
import { signDownloadLink } from '../../download-links.js';
import { ApiError, apiErrors } from '../../errors.js';
import { isVerificationPending, verifyBackup } from '../../verifications.js';
import { findService, refuseArchivedService } from '../../services.js';
import { principal } from '../authenticate.js';
import { hangUpSignal } from '../hang-up.js';
import { backup, backupIdParam, backupListQuery, contents, downloadUrl, errorBody, idempotencyHeaders, serviceIdParam, backupWaitQuery } from '../schemas.js';

export function backupRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/services/:serviceId/backups',
      {
        schema: {
          summary: 'Back up a service now (member)',
          description: 'Answers 202 with the backup; the same Idempotency-Key returns the same backup. An archived service is 409 service_archived.',
          params: serviceIdParam,
          headers: idempotencyHeaders,
          response: { 202: backup, 404: errorBody, 409: errorBody, 503: errorBody },
        },
      },
      async (request, reply) => {
        const caller = principal(request);
        const service = await findService(plane.db, request.params.serviceId);
        authorize(caller, service.project_id, 'member', { kind: 'service', id: service.id });
        refuseArchivedService(service, 'be backed up');
        // Fails closed (invariant 6) inside, writing nothing when backups are off.
        const { backup: row, created } = await requestBackup(
          plane.db,
          { service, trigger: 'manual', idempotencyKey: request.headers['idempotency-key'] ?? null, requestedBy: actorOf(caller), deadlineSeconds: plane.settings.jobDeadlineSeconds },
          { storageConfigured: plane.store !== undefined, killSwitchFromConfiguration: plane.settings.killSwitchFromConfiguration, networkPolicy: plane.settings.networkPolicy },
        );
        if (created) {
          plane.wakeRelay();
          plane.metrics.backupsRequested.inc({ trigger: 'manual' });
        }
        return reply.status(202).header('location', `/v1/backups/${row.id}`).send(backupView(row));
      },
    );

    app.get(
      '/v1/services/:serviceId/backups',
      {
        schema: {
          summary: "A service's backups, newest first",
          params: serviceIdParam,
          querystring: backupListQuery,
          response: { 200: z.object({ backups: z.array(backup).describe('newest first'), nextCursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page') }), 404: errorBody },
        },
      },
      async (request) => {
        const service = await findService(plane.db, request.params.serviceId);
        authorize(principal(request), service.project_id, 'viewer', { kind: 'service', id: service.id });
        const page = await listBackups(plane.db, service.id, { limit: request.query.limit, after: request.query.cursor });
        return { backups: page.backups.map((row) => backupView(row)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/backups/:backupId',
      {
        schema: {
          summary: 'Read a backup; with waitSeconds, once it has ended (or its restore drill has a verdict)',
          params: backupIdParam,
          querystring: backupWaitQuery,
          response: { 200: backup, 404: errorBody },
        },
      },
      async (request, reply) => {
        const { backupId } = request.params;
        const read = async () => {
          const row = await findBackup(plane.db, backupId);
          authorize(principal(request), row.project_id, 'viewer', { kind: 'backup', id: row.id });
          return row;
        };
        const ended = request.query.waitFor === 'verification' ? (row: BackupRow) => !isVerificationPending(row) : (row: BackupRow) => isTerminal(row.status);
        return backupView(await plane.changes.readUntil(backupId, request.query.waitSeconds ?? 0, read, ended, hangUpSignal(reply)));
      },
    );

    app.get(
      '/v1/backups/:backupId/contents',
      {
        schema: {
          summary: 'What a backup holds: schemas, tables with exact row counts, extensions, versions',
          description: 'Recorded when the backup was made, in the same snapshot as the dump; reading it downloads nothing.',
          params: backupIdParam,
          response: { 200: contents, 404: errorBody },
        },
      },
      async (request) => {
        const row = await findBackup(plane.db, request.params.backupId);
        authorize(principal(request), row.project_id, 'viewer', { kind: 'backup', id: row.id });
        const recorded = contentsOf(row);
        if (!recorded) throw apiErrors.notFound('recorded contents for backup', row.id);
        return recorded;
      },
    );

    app.post(
      '/v1/backups/:backupId/verify',
      {
        schema: {
          summary: 'Run a restore drill of a succeeded backup (member)',
          description: 'Restores it into a scratch database on the verification server, compares every table with the recorded row counts, and records the verdict as `verification`.',
          params: backupIdParam,
          response: { 202: backup, 404: errorBody, 409: errorBody, 503: errorBody },
        },
      },
      async (request, reply) => {
        const caller = principal(request);
        const row = await findBackup(plane.db, request.params.backupId);
        authorize(caller, row.project_id, 'member', { kind: 'backup', id: row.id });
        const updated = await verifyBackup(plane.db, row.id, { actor: actorOf(caller), deadlineSeconds: plane.settings.jobDeadlineSeconds, verificationEngines: plane.settings.verificationEngines });
        return reply.status(202).send(backupView(updated));
      },
    );

    app.post(
      '/v1/backups/:backupId/cancel',
      {
        schema: {
          summary: 'Stop a backup that has not finished (member)',
          description: 'Answers 202; the backup becomes canceled once the orchestrator has stopped its job and removed what it wrote.',
          params: backupIdParam,
          response: { 202: backup, 404: errorBody, 409: errorBody },
        },
      },
      async (request, reply) => {
        const caller = principal(request);
        const row = await findBackup(plane.db, request.params.backupId);
        authorize(caller, row.project_id, 'member', { kind: 'backup', id: row.id });
        return reply.status(202).send(backupView(await cancelBackup(plane.db, row.id, actorOf(caller))));
      },
    );

    app.delete(
      '/v1/backups/:backupId',
      {
        schema: {
          summary: 'Delete a succeeded backup and its files (owner)',
          description: 'Owners only: a deleted backup cannot be brought back, so a member token (a CI job, a leaked script) cannot destroy the recovery points.',
          params: backupIdParam,
          response: { 200: backup, 403: errorBody, 404: errorBody, 409: errorBody },
        },
      },
      async (request) => {
        const caller = principal(request);
        const row = await findBackup(plane.db, request.params.backupId);
        authorize(caller, row.project_id, 'owner', { kind: 'backup', id: row.id });
        return backupView(await deleteBackup(plane.db, row.id, actorOf(caller)));
      },
    );

    app.post(
      '/v1/backups/:backupId/download-url',
      {
        schema: {
          summary: 'A short-lived download link for a succeeded backup (member)',
          description: 'The URL needs no token and stops working at expiresAt.',
          params: backupIdParam,
          response: { 200: downloadUrl, 404: errorBody, 409: errorBody, 503: errorBody },
        },
      },
      async (request) => {
        const row = await findBackup(plane.db, request.params.backupId);
        authorize(principal(request), row.project_id, 'member', { kind: 'backup', id: row.id });
        if (row.status !== 'succeeded' || !row.artifact_key) {
          throw new ApiError('backup_not_downloadable', `backup ${row.id} is ${row.status}; only a succeeded backup can be downloaded`);
        }
        if (!plane.store) throw apiErrors.backupsUnavailable('object storage is not configured (set LIFEBOAT_STORAGE_URL)');
        const ttl = plane.settings.downloadUrlTtlSeconds;
        const expiresAt = new Date(Date.now() + ttl * 1000);
        if (plane.store.presignedDownloadUrl) {
          const service = await plane.db.selectFrom('services').select('name').where('id', '=', row.service_id).executeTakeFirstOrThrow();
          const url = await plane.store.presignedDownloadUrl(row.artifact_key, { expiresInSeconds: ttl, fileName: artifactFileName(service.name, row.requested_at) });
          return { url, expiresAt: expiresAt.toISOString() };
        }
        await recordAudit(plane.db, {
          projectId: row.project_id,
          actor: actorOf(principal(request)),
          action: 'backup.download_url_issued',
          target: { kind: 'backup', id: row.id },
          details: { expiresAt: expiresAt.toISOString() },
        });
        const link = signDownloadLink(plane.keys.downloadLinks, row.id, expiresAt);
        const query = new URLSearchParams({ expires: String(link.expires), signature: link.signature });
        return { url: `${plane.publicUrl()}/v1/downloads/${row.id}?${query.toString()}`, expiresAt: new Date(link.expires * 1000).toISOString() };
      },
    );
  };
}

/** `orders-db-20260301T120000Z.dump`: the service and the time, so files sort and say what they are. */
export function artifactFileName(serviceName: string, requestedAt: Date): string {
  return `${serviceName}-${requestedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.dump`;
}
