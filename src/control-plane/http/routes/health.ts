import type { FastifyPluginAsync } from 'fastify';
import type { ControlPlane } from '../../context.js';

/** Liveness answers while the process runs; readiness only while the database and bus answer. */
export function healthRoutes(plane: ControlPlane): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
      const ready = await plane.isReady().catch(() => false);
      return ready
        ? { status: 'ready' }
        : reply.status(503).send({ error: { code: 'not_ready', message: 'the platform database or the bus is not answering' } });
    });
  };
}
