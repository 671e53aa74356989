import type { Command } from 'commander';
import type { Backup, Run, Service } from './context.js';
import { printJson, printTable } from './output.js';
import { drillVerdict, formatAge, formatTime } from './times.js';

/** One service as GET /v1/projects/:id/service-status answers it. */
interface ServiceStatus {
  service: Service;
  lastSuccess: { backupId: string; finishedAt: string } | null;
  latest: { backupId: string; status: string; failure: { code: string; message: string } | null } | null;
  inProgress: string | null;
  schedule: { cron: string; timezone: string; nextRunAt: string | null } | null;
  stale: boolean;
}

/** `lifeboat status`: each service's last good backup, its drill verdict, the next run, and whether it is overdue (as `pg:backups` shows). */
export function registerStatusCommand(program: Command, run: Run): void {
  program
    .command('status')
    .description("each service: its last good backup (when, how long ago), whether a restore drill verified it, the next scheduled run, and whether it is overdue; times in the schedule's timezone")
    .action(
      run(async (context) => {
        const { services } = await context.api.request<{ services: ServiceStatus[] }>('GET', `/v1/projects/${await context.projectId()}/service-status`);
        // The verdict lives on the backup itself: one read per service with a good backup.
        const lastGood = await Promise.all(services.map((each) => (each.lastSuccess ? context.api.request<Backup>('GET', `/v1/backups/${each.lastSuccess.backupId}`) : Promise.resolve(null))));
        const now = new Date();
        const rows = services.map((each, i) => ({
          service: each.service.name,
          serviceId: each.service.id,
          lastGoodBackup: each.lastSuccess ? { id: each.lastSuccess.backupId, finishedAt: each.lastSuccess.finishedAt, drill: drillVerdict(lastGood[i]?.verification) } : null,
          latest: each.latest,
          inProgress: each.inProgress,
          schedule: each.schedule,
          overdue: each.stale,
        }));
        if (context.out.json) return printJson(context.out, rows);
        printTable(
          context.out,
          ['SERVICE', 'LAST GOOD BACKUP', 'AT', 'AGE', 'VERIFIED', 'NEXT RUN', 'OVERDUE', 'LATEST'],
          rows.map((row) => {
            const zone = row.schedule?.timezone;
            const latest = row.inProgress ? `${row.latest?.status ?? 'running'} now` : row.latest && row.latest.backupId !== row.lastGoodBackup?.id ? `${row.latest.status}${row.latest.failure ? `: ${row.latest.failure.code}` : ''}` : null;
            return [
              row.service,
              row.lastGoodBackup?.id ?? 'none yet',
              formatTime(row.lastGoodBackup?.finishedAt, zone),
              formatAge(row.lastGoodBackup?.finishedAt, now),
              row.lastGoodBackup ? (row.lastGoodBackup.drill ?? 'not drilled') : null,
              row.schedule ? (formatTime(row.schedule.nextRunAt, zone) ?? 'not due') : 'no schedule',
              row.overdue ? 'OVERDUE' : row.schedule ? 'no' : null,
              latest,
            ];
          }),
        );
      }),
    );
}
