import type { Kysely } from 'kysely';
import type { NetworkPolicy } from '../contracts/index.js';
import { inProgressStatuses } from './backup-status.js';
import { upcomingFires } from './schedule-times.js';
import { duplicateTargets } from './service-duplicates.js';
import { listServices, serviceView } from './services.js';
import type { ControlTables } from './tables.js';

/**
 * What the dashboard's first page shows about each service: its last successful backup and
 * whether that is older than its schedule promises (two intervals late), the latest attempt,
 * what runs now and when the next run is due. A service without a schedule promises nothing.
 */
export async function serviceStatuses(db: Kysely<ControlTables>, projectId: string, jitterWindowSeconds: number, now: Date, policy?: NetworkPolicy) {
  const services = await listServices(db, projectId);
  const duplicates = duplicateTargets(services);
  return Promise.all(
    services.map(async (service) => {
      const [lastSuccess, latest, schedule] = await Promise.all([
        db.selectFrom('backups').select(['id', 'finished_at']).where('service_id', '=', service.id).where('status', '=', 'succeeded').orderBy('finished_at', 'desc').limit(1).executeTakeFirst(),
        db.selectFrom('backups').select(['id', 'status', 'failure_code', 'failure_message', 'requested_at']).where('service_id', '=', service.id).orderBy('requested_at', 'desc').limit(1).executeTakeFirst(),
        db.selectFrom('schedules').select(['cron', 'timezone', 'next_run_at']).where('service_id', '=', service.id).executeTakeFirst(),
      ]);
      let stale = false;
      if (schedule) {
        const [first, second] = upcomingFires(schedule.cron, schedule.timezone, now, 0, 2);
        const intervalMs = first && second ? second.getTime() - first.getTime() : 24 * 3600_000;
        const age = lastSuccess?.finished_at ? now.getTime() - lastSuccess.finished_at.getTime() : Number.POSITIVE_INFINITY;
        stale = age > 2 * intervalMs + jitterWindowSeconds * 1000;
      }
      return {
        service: serviceView(service, policy, duplicates.get(service.id) ?? null),
        lastSuccess: lastSuccess?.finished_at ? { backupId: lastSuccess.id, finishedAt: lastSuccess.finished_at.toISOString() } : null,
        latest: latest
          ? { backupId: latest.id, status: latest.status, failure: latest.failure_code ? { code: latest.failure_code, message: latest.failure_message ?? '' } : null }
          : null,
        inProgress: latest && inProgressStatuses.includes(latest.status) ? latest.id : null,
        schedule: schedule ? { cron: schedule.cron, timezone: schedule.timezone, nextRunAt: schedule.next_run_at?.toISOString() ?? null } : null,
        stale,
      };
    }),
  );
}
