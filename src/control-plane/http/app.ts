import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler } from 'fastify-type-provider-zod';
import type { ControlPlane } from '../context.js';
import { installAuthentication } from './authenticate.js';
import { installErrorHandler } from './error-handler.js';
import { validatorCompiler } from './request-validation.js';
import { installSecurityHeaders } from './security-headers.js';
import { adminRoutes } from './routes/admin.js';
import { auditRoutes } from './routes/audit.js';
import { backupRoutes } from './routes/backups.js';
import { capabilityRoutes } from './routes/capabilities.js';
import { downloadRoutes } from './routes/downloads.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { projectRoutes } from './routes/projects.js';
import { restoreRoutes } from './routes/restores.js';
import { scheduleRoutes } from './routes/schedules.js';
import { serviceRoutes } from './routes/services.js';
import { tokenRoutes } from './routes/tokens.js';
import { webhookRoutes } from './routes/webhooks.js';

/** The HTTP API (DESIGN.md "Public HTTP API"). Tests build it with `inject`; the server wiring listens. */
export async function buildApp(plane: ControlPlane, options: { dashboardDir?: string } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Fastify bundles its own pino typings; the instance is the same pino logger.
    loggerInstance: plane.logger as unknown as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    // Behind a proxy the connection's address is the proxy's; only the proxies named may say otherwise.
    trustProxy: proxiesTrusted(plane.settings.trustProxy),
    // Request lines are logged without their query: a download link's signature is a credential.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    plane.metrics.httpRequests.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode }, reply.elapsedTime / 1000);
  });
  // Reads waiting on a backup or restore answer now rather than hold the server's close.
  app.addHook('preClose', async () => plane.changes.close());
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  await installSecurityHeaders(app);
  await installAuthentication(app, plane);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Lifeboat API', version: '1', description: 'Backups as recovery promises for the services of a platform catalog.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    // Puts the schemas named with .meta({ id }) under components, where the routes' $refs point.
    transformObject: jsonSchemaTransformObject,
  });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', plane.metrics.registry.contentType).send(await plane.metrics.registry.metrics()),
  );

  // The dashboard: a static single-page app, built into dist/dashboard by `npm run build`.
  // Its files carry no data (the app asks for a token), so every route it adds is public.
  if (options.dashboardDir && existsSync(join(options.dashboardDir, 'index.html'))) {
    const dashboardDir = options.dashboardDir;
    await app.register(async (dashboard) => {
      dashboard.addHook('onRoute', (route) => {
        route.config = { ...route.config, public: true };
      });
      await dashboard.register(fastifyStatic, { root: dashboardDir, prefix: '/', index: 'index.html', wildcard: false, cacheControl: false });
    });
  }
  for (const routes of [healthRoutes, capabilityRoutes, projectRoutes, tokenRoutes, serviceRoutes, backupRoutes, restoreRoutes, downloadRoutes, scheduleRoutes, webhookRoutes, auditRoutes, eventRoutes, adminRoutes]) {
    await app.register(routes(plane));
  }
  return app;
}

/** `trustProxy` as Fastify's types take it: a hop count becomes "the nearest N hops". */
function proxiesTrusted(setting: boolean | number | string[] | undefined): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting ?? false;
}
