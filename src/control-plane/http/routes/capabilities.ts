import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { engineDescriptors, engines } from '../../../contracts/index.js';
import { availabilityOf, type ControlPlane } from '../../context.js';
import { principal } from '../authenticate.js';
import { capabilities, whoami } from '../schemas.js';

export function capabilityRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/v1/whoami', { schema: { summary: 'What the calling token is: the admin, or a project token and its role', response: { 200: whoami } } }, async (request) => {
      const caller = principal(request);
      return caller.kind === 'admin' ? { kind: 'admin' as const, projectId: null, role: null } : { kind: 'project' as const, projectId: caller.projectId, role: caller.role };
    });

    app.get(
      '/v1/capabilities',
      { schema: { summary: 'What this Lifeboat can do now, and why not', response: { 200: capabilities } } },
      async () => {
        const tools = await plane.toolVersions?.();
        return {
          backups: await availabilityOf(plane),
          storage: { kind: plane.store?.kind ?? null, configured: plane.store !== undefined },
          bus: { kind: plane.settings.busKind },
          runner: { kind: plane.settings.runnerKind },
          engines: engines.map((name) => {
            const { label, aliases, defaultPort, capabilities, verificationServerSetting } = engineDescriptors[name];
            return {
              name,
              label,
              aliases: [...aliases],
              defaultPort,
              capabilities: { ...capabilities, drills: capabilities.drills && plane.settings.verificationEngines.includes(name) },
              drills: { configured: plane.settings.verificationEngines.includes(name), setting: verificationServerSetting },
              tools: tools?.[name]?.map((tool) => ({ name: tool.name, version: tool.version, problem: tool.problem ?? null })) ?? null,
            };
          }),
        };
      },
    );
  };
}
