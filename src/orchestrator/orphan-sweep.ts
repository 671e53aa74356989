import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ObjectStore } from '../storage/object-store.js';
import type { OrchestratorTables } from './tables.js';

const backupFolder = /^projects\/([^/]+)\/services\/([^/]+)\/backups\/([^/]+)\//;

/**
 * Invariant 5, for what the normal paths missed (storage down while a failed job cleaned up or
 * a deletion ran, a process killed mid-upload): files in storage whose backup has no job, whose
 * job did not succeed, or whose deletion was asked for, are removed once they are older than
 * the grace period. Files of pending and running jobs are never touched.
 */
export async function sweepOrphans(options: { db: Kysely<OrchestratorTables>; store: ObjectStore; graceMs: number; now?: Date; logger: Logger }): Promise<string[]> {
  const now = options.now ?? new Date();
  const newestByFolder = new Map<string, { backupId: string; newest: number }>();
  for await (const object of options.store.list('projects/')) {
    const match = backupFolder.exec(object.key);
    if (!match) continue;
    const folder = match[0];
    const seen = newestByFolder.get(folder);
    newestByFolder.set(folder, { backupId: match[3]!, newest: Math.max(seen?.newest ?? 0, object.lastModified.getTime()) });
  }
  const removed: string[] = [];
  const folders = [...newestByFolder].filter(([, folder]) => now.getTime() - folder.newest >= options.graceMs);
  for (let i = 0; i < folders.length; i += 500) {
    const batch = folders.slice(i, i + 500);
    const jobs = await options.db
      .selectFrom('jobs')
      .select(['backup_id', 'status', 'artifact_delete_requested_at'])
      // Restore jobs name the backup they read; only the backup's own job says whose files these are.
      .where('kind', '=', 'backup')
      .where(
        'backup_id',
        'in',
        batch.map(([, folder]) => folder.backupId),
      )
      .execute();
    const jobOf = new Map(jobs.map((job) => [job.backup_id, job]));
    for (const [folder, { backupId }] of batch) {
      const job = jobOf.get(backupId);
      const status = job?.status;
      if (status === 'pending' || status === 'running') continue;
      if (status === 'succeeded' && !job?.artifact_delete_requested_at) continue;
      await options.store.deletePrefix(folder);
      options.logger.warn({ backupId, folder, jobStatus: status ?? 'none' }, 'removed files that no successful backup owns');
      removed.push(backupId);
    }
  }
  return removed;
}
