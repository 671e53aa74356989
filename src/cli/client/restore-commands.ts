import type { Command } from 'commander';
import type { Restore, Run } from './context.js';
import { CliError, exitCodes } from './errors.js';
import { formatDuration, printFields, printJson, printTable } from './output.js';
import { formatTime } from './times.js';

const restoreId = (value: string) => {
  if (/^rst_[0-9a-z]{16}$/.test(value)) return value;
  throw new CliError(`${value} is not a restore id (rst_…)`, exitCodes.usage, 'usage');
};

/** Where a restore went, in words. */
export function targetText(restore: Restore): string {
  if (restore.target.kind === 'new_database') return `new database ${restore.target.database}`;
  if (restore.target.kind === 'service') return `over service ${restore.target.serviceId}`;
  return 'in place';
}

/** `lifeboat restores list|info`: restores of a service, and one restore. */
export function registerRestoreCommands(program: Command, run: Run): void {
  const restores = program.command('restores').description('restores of backups');

  restores
    .command('list <service>')
    .description("a service's restores, newest first (the latest 100)")
    .action(
      run(async (context, reference: string) => {
        const service = await context.service(reference);
        const { restores: rows } = await context.api.request<{ restores: Restore[] }>('GET', `/v1/services/${service.id}/restores`);
        if (context.out.json) return printJson(context.out, rows);
        printTable(
          context.out,
          ['ID', 'BACKUP', 'STATUS', 'TARGET', 'REQUESTED', 'DURATION', 'FAILURE'],
          rows.map((row) => [row.id, row.backupId, row.status, targetText(row), formatTime(row.requestedAt), formatDuration(row.startedAt, row.finishedAt), row.failure?.code]),
        );
      }),
    );

  restores
    .command('info')
    .argument('<restore>', 'the restore id (rst_…)', restoreId)
    .description('one restore, with its failure in words if it failed')
    .action(
      run(async (context, id: string) => {
        const restore = await context.api.request<Restore>('GET', `/v1/restores/${id}`);
        if (context.out.json) return printJson(context.out, restore);
        printFields(context.out, [
          ['restore', restore.id],
          ['backup', restore.backupId],
          ['status', restore.status],
          ['target', targetText(restore)],
          ['safety backup', restore.safetyBackupId],
          ['requested', formatTime(restore.requestedAt)],
          ['duration', formatDuration(restore.startedAt, restore.finishedAt)],
          ['failure', restore.failure ? `${restore.failure.code}: ${restore.failure.message}` : null],
        ]);
      }),
    );
}
