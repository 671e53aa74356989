import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, authorize, type Principal } from '../../access.js';
import { recordAudit } from '../../audit.js';
import type { ControlPlane } from '../../context.js';
import { apiErrors } from '../../errors.js';
import { checkTargetAllowed } from '../../target-check.js';
import { createWebhook, deliveryView, findWebhook, webhookView } from '../../webhooks.js';
import { principal } from '../authenticate.js';
import { createdWebhook, errorBody, newWebhookBody, projectIdParam, webhook, webhookDelivery, webhookIdParam } from '../schemas.js';

export function webhookRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/projects/:projectId/webhooks',
      {
        schema: {
          summary: 'Subscribe a URL to backup events (owner); the signing secret is shown once',
          params: projectIdParam,
          body: newWebhookBody,
          response: { 201: createdWebhook, 400: errorBody, 403: errorBody, 404: errorBody },
        },
      },
      async (request, reply) => {
        const { projectId } = request.params;
        const caller = principal(request);
        authorize(caller, projectId, 'owner', { kind: 'project', id: projectId });
        const project = await plane.db.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
        if (!project) throw apiErrors.notFound('project', projectId);
        const url = new URL(request.body.url);
        await checkTargetAllowed(plane.settings.webhookPolicy, { host: url.hostname, port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port) }, plane.logger);
        const { row, secret } = await plane.db.transaction().execute(async (trx) => {
          const created = await createWebhook(trx, plane.keys.credentials, { projectId, ...request.body });
          await recordAudit(trx, { projectId, actor: actorOf(caller), action: 'webhook.created', target: { kind: 'webhook', id: created.row.id }, details: auditedTarget(created.row) });
          return created;
        });
        return reply.status(201).send({ ...webhookView(row, { wholeUrl: true }), secret });
      },
    );

    app.get(
      '/v1/projects/:projectId/webhooks',
      { schema: { summary: "A project's webhooks", params: projectIdParam, response: { 200: z.object({ webhooks: z.array(webhook).describe("the project's webhooks") }) } } },
      async (request) => {
        const { projectId } = request.params;
        const caller = principal(request);
        authorize(caller, projectId, 'viewer', { kind: 'project', id: projectId });
        const rows = await plane.db.selectFrom('webhooks').selectAll().where('project_id', '=', projectId).where('deleted_at', 'is', null).orderBy('created_at').execute();
        return { webhooks: rows.map((row) => webhookView(row, { wholeUrl: seesDetail(caller) })) };
      },
    );

    app.delete(
      '/v1/webhooks/:webhookId',
      { schema: { summary: 'Remove a webhook (owner)', params: webhookIdParam, response: { 204: z.null(), 404: errorBody } } },
      async (request, reply) => {
        const row = await findWebhook(plane.db, request.params.webhookId);
        const caller = principal(request);
        authorize(caller, row.project_id, 'owner', { kind: 'webhook', id: row.id });
        await plane.db.transaction().execute(async (trx) => {
          const deleted = await trx.updateTable('webhooks').set({ deleted_at: new Date() }).where('id', '=', row.id).where('deleted_at', 'is', null).executeTakeFirst();
          // A concurrent delete already recorded it.
          if (deleted.numUpdatedRows === 0n) return;
          await recordAudit(trx, { projectId: row.project_id, actor: actorOf(caller), action: 'webhook.deleted', target: { kind: 'webhook', id: row.id }, details: auditedTarget(row) });
        });
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/v1/webhooks/:webhookId/deliveries',
      {
        schema: {
          summary: "A webhook's deliveries, newest first (the receiver's exact answer and errors: owner)",
          params: webhookIdParam,
          response: { 200: z.object({ deliveries: z.array(webhookDelivery).describe('newest first') }), 404: errorBody },
        },
      },
      async (request) => {
        const row = await findWebhook(plane.db, request.params.webhookId);
        const caller = principal(request);
        authorize(caller, row.project_id, 'viewer', { kind: 'webhook', id: row.id });
        const deliveries = await plane.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', row.id).orderBy('id', 'desc').limit(100).execute();
        return { deliveries: deliveries.map((delivery) => deliveryView(delivery, { answers: seesDetail(caller) })) };
      },
    );
  };
}

/**
 * What the audit log (readable by viewers) says of a webhook: its host and events, never its
 * path, query or user info, which can carry a credential (many services put one in the URL).
 */
function auditedTarget(row: { url: string; events: string[] }): { host: string; events: string[] } {
  return { host: new URL(row.url).host, events: row.events };
}

/** Owners and the operator see webhook URLs whole and the receivers' exact answers; viewers and members do not. */
function seesDetail(caller: Principal): boolean {
  return caller.kind === 'admin' || caller.role === 'owner';
}
