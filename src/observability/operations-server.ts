import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/**
 * Health and metrics for a process that has no API of its own (`lifeboat orchestrator`), so a
 * platform can probe and scrape every replica the same way.
 */
export async function startOperationsServer(options: {
  host: string;
  port: number;
  metrics: Metrics;
  isReady: () => Promise<boolean>;
}): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    (await options.isReady().catch(() => false))
      ? { status: 'ready' }
      : reply.status(503).send({ error: { code: 'not_ready', message: 'the platform database or the bus is not answering' } }),
  );
  app.get('/metrics', async (_request, reply) => reply.header('content-type', options.metrics.registry.contentType).send(await options.metrics.registry.metrics()));
  const url = await app.listen({ host: options.host, port: options.port });
  return { app, url };
}
