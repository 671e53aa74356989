import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ObjectStore } from '../storage/object-store.js';
import type { OrchestratorTables } from './tables.js';

const backupFolder = /^projects\/([^/]+)\/services\/([^/]+)\/backups\/([^/]+)\//;

/**
 * Invariant 5, for what the normal paths missed (storage down while a failed job cleaned up, a
 * process killed mid-upload): files in storage whose backup has no job, or whose job did not
 * succeed, are removed once they are older than the grace period. Files of pending and running
 * jobs are never touched; files of succeeded jobs are removed only through
 * artifact.delete_requested.
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
      .select(['backup_id', 'status'])
      // Restore jobs name the backup they read; only the backup's own job says whose files these are.
      .where('kind', '=', 'backup')
      .where(
        'backup_id',
        'in',
        batch.map(([, folder]) => folder.backupId),
      )
      .execute();
    const statusOf = new Map(jobs.map((job) => [job.backup_id, job.status]));
    for (const [folder, { backupId }] of batch) {
      const status = statusOf.get(backupId);
      if (status === 'pending' || status === 'running' || status === 'succeeded') continue;
      await options.store.deletePrefix(folder);
      options.logger.warn({ backupId, folder, jobStatus: status ?? 'none' }, 'removed files that no successful backup owns');
      removed.push(backupId);
    }
  }
  return removed;
}
