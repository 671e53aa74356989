import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf, requireAdmin } from '../../access.js';
import { recordAudit } from '../../audit.js';
import { writeKillSwitch } from '../../availability.js';
import { type ControlPlane, killSwitchOf } from '../../context.js';
import { ApiError } from '../../errors.js';
import { controlSchema, type ControlTables } from '../../tables.js';
import { envelope } from '../../../contracts/index.js';
import { enqueue } from '../../../outbox/outbox.js';
import { principal } from '../authenticate.js';
import { errorBody, killSwitch, killSwitchBody } from '../schemas.js';

export function adminRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/admin/kill-switch', { schema: { summary: 'The kill switch (admin)', response: { 200: killSwitch, 403: errorBody } } }, async (request) => {
      requireAdmin(principal(request));
      return killSwitchOf(plane);
    });

    app.put(
      '/v1/admin/kill-switch',
      { schema: { summary: 'Engage or release the kill switch (admin)', body: killSwitchBody, response: { 200: killSwitch, 403: errorBody, 409: errorBody } } },
      async (request) => {
        const caller = principal(request);
        requireAdmin(caller);
        if (!request.body.engaged && plane.settings.killSwitchFromConfiguration) {
          throw new ApiError('invalid_request', 'the kill switch is held by configuration (LIFEBOAT_KILL_SWITCH=1); unset it and restart to release');
        }
        await plane.db.transaction().execute(async (trx) => {
          const change = { engaged: request.body.engaged, reason: request.body.reason ?? null, changedBy: actorOf(caller), changedAt: new Date().toISOString() };
          await writeKillSwitch(trx, { engaged: change.engaged, reason: change.reason, actor: change.changedBy });
          // Orchestrators learn it through the bus, like everything else they know.
          await enqueue<ControlTables>(trx, controlSchema, envelope('kill_switch.changed', { correlationId: 'kill_switch', projectId: 'operator' }, change));
          await recordAudit(trx, {
            projectId: null,
            actor: actorOf(caller),
            action: request.body.engaged ? 'kill_switch.engaged' : 'kill_switch.released',
            target: { kind: 'kill_switch', id: 'kill_switch' },
            details: { reason: request.body.reason ?? null },
          });
        });
        return killSwitchOf(plane);
      },
    );
  };
}
