import type { Command } from 'commander';
import { wholeNumber } from './arguments.js';
import type { CommandContext, Run, Schedule } from './context.js';
import { CliError } from './errors.js';
import { printFields, printJson, printTable } from './output.js';
import { formatTime } from './times.js';

/** `lifeboat schedule list|set|show|clear`. */
export function registerScheduleCommands(program: Command, run: Run): void {
  const schedule = program.command('schedule').description("a service's backup schedule and retention");

  schedule
    .command('list')
    .description("every service's schedule, retention and next run (in the schedule's timezone)")
    .action(
      run(async (context) => {
        const services = await context.services();
        const schedules = await Promise.all(
          services.map((service) =>
            context.api.request<Schedule>('GET', `/v1/services/${service.id}/schedule`).catch((error: unknown) => {
              if (error instanceof CliError && error.code === 'not_found') return null;
              throw error;
            }),
          ),
        );
        if (context.out.json) return printJson(context.out, services.map((service, i) => ({ service: service.name, serviceId: service.id, schedule: schedules[i] })));
        printTable(
          context.out,
          ['SERVICE', 'CRON', 'TIMEZONE', 'NEXT RUN', 'RETENTION', 'DRILLS'],
          services.map((service, i) => {
            const each = schedules[i];
            if (!each) return [service.name, 'no schedule'];
            return [service.name, each.cron, each.timezone, formatTime(each.nextRunAt, each.timezone), retentionText(each), each.verify ? 'after each' : 'off'];
          }),
        );
      }),
    );

  schedule
    .command('set <service>')
    .description('back up on a cron schedule, and keep what the retention options say')
    .requiredOption('--cron <expression>', 'when, e.g. "0 3 * * *"')
    .option('--timezone <zone>', 'IANA timezone the cron expression and daily/weekly/monthly counts use', 'UTC')
    .option('--keep-last <n>', 'keep the n newest scheduled backups', wholeNumber('--keep-last'))
    .option('--keep-daily <n>', 'keep the newest backup of each of the last n days', wholeNumber('--keep-daily'))
    .option('--keep-weekly <n>', 'keep the newest backup of each of the last n weeks', wholeNumber('--keep-weekly'))
    .option('--keep-monthly <n>', 'keep the newest backup of each of the last n months', wholeNumber('--keep-monthly'))
    .option('--max-age-days <n>', 'expire scheduled backups older than n days', wholeNumber('--max-age-days'))
    .option('--manual-max-age-days <n>', 'expire manual backups older than n days', wholeNumber('--manual-max-age-days'))
    .option('--verify', 'run a restore drill after each scheduled backup')
    .action(
      run(async (context, reference: string, options: Record<string, string | number | boolean | undefined>) => {
        const service = await context.service(reference);
        const retention = Object.fromEntries(
          (['keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'maxAgeDays', 'manualMaxAgeDays'] as const).flatMap((key) => (options[key] === undefined ? [] : [[key, options[key]]])),
        );
        const result = await context.api.request<Schedule>('PUT', `/v1/services/${service.id}/schedule`, {
          cron: options.cron,
          timezone: options.timezone,
          retention,
          verify: options.verify === true,
        });
        show(context, result);
      }),
    );

  schedule
    .command('show <service>')
    .description('the schedule, its retention and its next five runs')
    .action(
      run(async (context, reference: string) => {
        const service = await context.service(reference);
        show(context, await context.api.request<Schedule>('GET', `/v1/services/${service.id}/schedule`));
      }),
    );

  schedule
    .command('clear <service>')
    .description('stop scheduled backups (existing backups stay)')
    .action(
      run(async (context, reference: string) => {
        const service = await context.service(reference);
        await context.api.request('DELETE', `/v1/services/${service.id}/schedule`);
        if (context.out.json) return printJson(context.out, { cleared: service.id });
        context.out.write(`cleared the schedule of ${service.name}\n`);
      }),
    );
}

function show(context: CommandContext, schedule: Schedule): void {
  if (context.out.json) return printJson(context.out, schedule);
  printFields(context.out, [
    ['cron', schedule.cron],
    ['timezone', schedule.timezone],
    ['retention', retentionText(schedule)],
    ['restore drills', schedule.verify ? 'after each scheduled backup' : 'off'],
    ['next runs', schedule.upcoming.map((at) => formatTime(at, schedule.timezone)).join(', ')],
  ]);
}

function retentionText(schedule: Schedule): string {
  return Object.entries(schedule.retention).map(([key, value]) => `${key}=${String(value)}`).join(' ') || 'keep everything';
}
