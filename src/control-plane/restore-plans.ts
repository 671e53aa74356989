import { backupSettingsOf, describeDrops, type DatabaseObject, keptFromExclusions } from '../contracts/index.js';
import { type BackupRow, contentsOf } from './backups.js';
import { checkConnection, checkFailedError } from './connection-checks.js';
import type { ControlPlane } from './context.js';
import { ApiError, apiErrors } from './errors.js';
import { refuseUnsupported } from './restores.js';
import { refuseArchivedService } from './services.js';

export type PlanTarget = { kind: 'in_place' } | { kind: 'service'; serviceId: string };

/** What `GET /v1/backups/:id/restore-plan` answers. */
export interface RestorePlan {
  target: PlanTarget;
  drops: DatabaseObject[];
  total: number;
  message: string;
  basis: string;
  checkedAt: string;
}

const basis =
  "the database as it is now, against the backup's own table of contents; objects created or dropped before the restore runs change it. Extensions and what they own, and what the backup left out on purpose (contents.excluded), are left standing";

/**
 * What a restore over a service's database would drop, found now by a job: a connection check
 * that also reads the artifact's table of contents and makes the same comparison the restore
 * makes (src/agent/restore-drops.ts). Nothing is changed.
 */
export async function planRestore(plane: ControlPlane, input: { backup: BackupRow; target: PlanTarget; actor: string; gone?: AbortSignal }): Promise<RestorePlan> {
  const { backup, target } = input;
  if (backup.status !== 'succeeded' || !backup.artifact_key) {
    throw new ApiError('backup_not_restorable', `backup ${backup.id} is ${backup.status}; only a succeeded backup can be restored`);
  }
  if (target.kind === 'service' && target.serviceId === backup.service_id) {
    throw apiErrors.invalidRequest(`${target.serviceId} is the backup's own service: ask with target=in_place`);
  }
  const serviceId = target.kind === 'service' ? target.serviceId : backup.service_id;
  const service = await plane.db.selectFrom('services').selectAll().where('id', '=', serviceId).where('project_id', '=', backup.project_id).where('purged_at', 'is', null).executeTakeFirst();
  if (!service) throw apiErrors.notFound('service', serviceId);
  refuseArchivedService(service, 'be restored over');
  refuseUnsupported(service.engine, 'restorePlan');
  const result = await checkConnection(
    plane,
    {
      projectId: service.project_id,
      serviceId: service.id,
      forRegistration: false,
      engine: service.engine,
      connection: { host: service.host, port: service.port, database: service.database_name, user: service.username },
      sealedPassword: service.sealed_password,
      requestedBy: input.actor,
      backupSettings: backupSettingsOf(service.backup_settings),
      restorePlan: {
        artifact: { key: backup.artifact_key, sizeBytes: backup.size_bytes ?? 0, sha256: backup.sha256 ?? '' },
        keep: keptFromExclusions(contentsOf(backup)?.excluded),
      },
    },
    input.gone,
  );
  if (result.failure) throw checkFailedError(result.failure);
  const drops = result.drops ?? { total: 0, objects: [] };
  return { target, drops: drops.objects, total: drops.total, message: describeDrops(drops.objects, drops.total), basis, checkedAt: result.checkedAt };
}
