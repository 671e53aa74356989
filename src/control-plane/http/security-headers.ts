import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * What the dashboard may load, and how every answer may be framed, sniffed, referred and
 * cached. The dashboard is Vite's build: one script and one stylesheet from this origin, no
 * inline code (React sets styles through the DOM, which a CSP does not restrict), so nothing
 * needs `'unsafe-inline'` or a hash; it talks only to this origin. Download links are followed
 * by navigation, which no fetch directive governs, so presigned S3 links still work.
 */
export const contentSecurityPolicy = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

export async function installSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    // useDefaults off: helmet's defaults add upgrade-insecure-requests, which breaks a dashboard served over plain HTTP on a LAN address.
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS belongs to whoever terminates TLS in front of Lifeboat; a plain-HTTP answer cannot set it anyway.
    strictTransportSecurity: false,
  });
  // Every API answer may carry a token, a webhook secret or a download link (or data that is
  // only this caller's): no browser or proxy keeps a copy. Matched on the route Fastify chose,
  // so a percent-encoded path that reaches a /v1 route gets it too; unmatched paths as well.
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined || route.startsWith('/v1/')) reply.header('cache-control', 'no-store');
  });
}
