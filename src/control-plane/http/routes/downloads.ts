import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ControlPlane } from '../../context.js';
import { checkDownloadLink } from '../../download-links.js';
import { ApiError, apiErrors } from '../../errors.js';
import { parseRange } from '../byte-range.js';
import { backupIdParam, downloadQuery } from '../schemas.js';
import { artifactFileName } from './backups.js';

/**
 * Serves artifacts from the filesystem store through signed links. The link is the credential,
 * so the route is public; it streams with Range support so large files resume.
 */
export function downloadRoutes(plane: ControlPlane): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/downloads/:backupId',
      { config: { public: true }, schema: { summary: 'Download an artifact through a signed link', params: backupIdParam, querystring: downloadQuery } },
      async (request, reply) => {
        const { backupId } = request.params;
        const check = checkDownloadLink(plane.keys.downloadLinks, { backupId, ...request.query }, new Date());
        if (check === 'invalid') throw new ApiError('download_link_invalid', 'this download link is not valid; ask for a new one');
        if (check === 'expired') throw new ApiError('download_link_expired', 'this download link has expired; ask for a new one');
        const backup = await plane.db
          .selectFrom('backups')
          .innerJoin('services', 'services.id', 'backups.service_id')
          .select(['backups.status', 'backups.artifact_key', 'backups.sha256', 'backups.requested_at', 'services.name as service_name'])
          .where('backups.id', '=', backupId)
          .executeTakeFirst();
        if (!backup?.artifact_key || backup.status !== 'succeeded' || !plane.store) throw apiErrors.notFound('downloadable artifact for backup', backupId);
        const object = await plane.store.head(backup.artifact_key);
        if (!object) throw apiErrors.notFound('artifact for backup', backupId);

        const range = parseRange(request.headers.range, object.sizeBytes);
        reply
          .header('content-type', 'application/octet-stream')
          .header('content-disposition', `attachment; filename="${artifactFileName(backup.service_name, backup.requested_at)}"`)
          .header('accept-ranges', 'bytes')
          .header('cache-control', 'private, no-store')
          .header('etag', `"${backup.sha256 ?? ''}"`);
        switch (range.kind) {
          case 'unsatisfiable':
            reply.header('content-range', `bytes */${object.sizeBytes}`);
            throw new ApiError('range_not_satisfiable', `the artifact has ${object.sizeBytes} bytes`);
          case 'partial': {
            const { start, end } = range.range;
            reply.status(206).header('content-range', `bytes ${start}-${end}/${object.sizeBytes}`).header('content-length', end - start + 1);
            return reply.send(await plane.store.get(backup.artifact_key, range.range));
          }
          case 'whole':
            reply.header('content-length', object.sizeBytes);
            return reply.send(await plane.store.get(backup.artifact_key));
        }
      },
    );
  };
}
