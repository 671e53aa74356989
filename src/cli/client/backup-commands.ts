import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { resourceId, wholeNumber } from './arguments.js';
import type { Backup, CommandContext, Contents, Restore, Run } from './context.js';
import { CliError, exitCodes } from './errors.js';
import { formatBytes, formatDuration, formatExpiry, printFields, printJson, printTable } from './output.js';
import { ProgressBar } from './progress.js';
import { waitForBackup, waitForRestore, waitForVerification } from './wait.js';

const backupIdArgument = resourceId('bkp');

/** Exit code for a backup or restore that ended: 0 if it succeeded, 1 if not. */
const outcomeCode = (status: string) => (status === 'succeeded' ? exitCodes.ok : exitCodes.operationFailed);

/** `lifeboat backups …`: create, watch, fetch and restore backups. */
export function registerBackupCommands(program: Command, run: Run): void {
  const backups = program.command('backups').description('backups of a service');

  backups
    .command('create <service>')
    .description('back up a service now')
    .option('--wait', 'wait until it has finished (exit 1 if it failed)')
    .action(
      run(async (context, reference: string, options: { wait?: boolean }) => {
        const service = await context.service(reference);
        let backup = await context.api.request<Backup>('POST', `/v1/services/${service.id}/backups`);
        if (options.wait) backup = await waitForBackup(context.api, backup.id);
        showBackup(context, backup);
        return options.wait ? outcomeCode(backup.status) : exitCodes.ok;
      }),
    );

  backups
    .command('list <service>')
    .description("a service's backups, newest first")
    .option('--limit <n>', 'how many (1-200)', wholeNumber('--limit', 1), 20)
    .action(
      run(async (context, reference: string, options: { limit: number }) => {
        const service = await context.service(reference);
        const { backups: rows } = await context.api.request<{ backups: Backup[] }>('GET', `/v1/services/${service.id}/backups?limit=${options.limit}`);
        if (context.out.json) return printJson(context.out, rows);
        printTable(
          context.out,
          ['ID', 'STATUS', 'TRIGGER', 'REQUESTED', 'DURATION', 'SIZE', 'EXPIRES', 'FAILURE'],
          rows.map((backup) => [backup.id, backup.status, backup.trigger, backup.requestedAt, formatDuration(backup.startedAt, backup.finishedAt), formatBytes(backup.sizeBytes), formatExpiry(backup), backup.failure?.code]),
        );
      }),
    );

  backups
    .command('info')
    .argument('<backup>', 'the backup id (bkp_…)', backupIdArgument)
    .description('one backup, with its failure in words if it failed')
    .action(run(async (context, backupId: string) => showBackup(context, await context.api.request<Backup>('GET', `/v1/backups/${backupId}`))));

  backups
    .command('cancel')
    .argument('<backup>', 'the backup id (bkp_…)', backupIdArgument)
    .description('stop a backup that has not finished')
    .action(run(async (context, backupId: string) => showBackup(context, await context.api.request<Backup>('POST', `/v1/backups/${backupId}/cancel`))));

  backups
    .command('delete')
    .argument('<backup>', 'the backup id (bkp_…)', backupIdArgument)
    .description('delete a succeeded backup and its files')
    .action(run(async (context, backupId: string) => showBackup(context, await context.api.request<Backup>('DELETE', `/v1/backups/${backupId}`))));

  backups
    .command('url')
    .argument('<backup>', 'the backup id (bkp_…)', backupIdArgument)
    .description('a short-lived download link that needs no token')
    .action(
      run(async (context, backupId: string) => {
        const link = await context.api.request<{ url: string; expiresAt: string }>('POST', `/v1/backups/${backupId}/download-url`);
        if (context.out.json) return printJson(context.out, link);
        context.out.write(`${link.url}\n(valid until ${link.expiresAt})\n`);
      }),
    );

  backups
    .command('download')
    .argument('<backup>', 'the backup id (bkp_…)', backupIdArgument)
    .description('download a backup, checking its SHA-256 (exit 1 and no file if it does not match)')
    .option('-o, --output <file>', 'where to write it (default: the backup id with .dump)')
    .action(
      run(async (context, backupId: string, options: { output?: string }) => {
        const backup = await context.api.request<Backup>('GET', `/v1/backups/${backupId}`);
        const link = await context.api.request<{ url: string }>('POST', `/v1/backups/${backupId}/download-url`);
        const file = options.output ?? `${backupId}.dump`;
        const partial = `${file}.partial`;
        const { body, size } = await context.api.download(link.url);
        const hash = createHash('sha256');
        const bar = new ProgressBar();
        let received = 0;
        const meter = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            received += chunk.length;
            bar.update('downloading', received, size ?? backup.sizeBytes ?? undefined);
            done(null, chunk);
          },
        });
        await pipeline(body, meter, createWriteStream(partial, { mode: 0o600 }));
        bar.done();
        const sha256 = hash.digest('hex');
        if (sha256 !== backup.sha256) {
          await rm(partial, { force: true });
          throw new CliError(`the download does not match the backup (SHA-256 ${sha256}, expected ${backup.sha256}); nothing was kept`, exitCodes.operationFailed, 'checksum_mismatch');
        }
        await rename(partial, file);
        if (context.out.json) return printJson(context.out, { file, sizeBytes: received, sha256 });
        context.out.write(`${file}: ${formatBytes(received)}, SHA-256 ${sha256} (verified)\n`);
      }),
    );

  backups
    .command('contents')
    .argument('<backup>', 'the backup id (bkp_…)', backupIdArgument)
    .description('what a backup holds: tables and their row counts, taken when it was made')
    .action(
      run(async (context, backupId: string) => {
        const contents = await context.api.request<Contents>('GET', `/v1/backups/${backupId}/contents`);
        if (context.out.json) return printJson(context.out, contents);
        printFields(context.out, [
          ['server', `PostgreSQL ${contents.serverVersion}`],
          ['pg_dump', contents.toolVersion],
          ['extensions', contents.extensions.map((extension) => `${extension.name} ${extension.version}`).join(', ')],
        ]);
        printTable(
          context.out,
          ['TABLE', 'ROWS', 'SIZE'],
          contents.tables.map((table) => [`${table.schema}.${table.name}`, table.rows, formatBytes(table.bytes)]),
        );
      }),
    );

  backups
    .command('restore')
    .argument('<backup>', 'the backup id (bkp_…)', backupIdArgument)
    .description('restore into a new database, or over the service (which takes a safety backup first)')
    .option('--new-database <name>', 'restore into a new database of this name on the service’s server')
    .option('--in-place', "restore over the service's own database")
    .option('--confirm <service>', 'with --in-place: the service name, to show you mean it')
    .option('--no-safety-backup', 'with --in-place: skip the safety backup')
    .option('--wait', 'wait until it has finished (exit 1 if it failed)')
    .action(
      run(async (context, backupId: string, options: { newDatabase?: string; inPlace?: boolean; confirm?: string; safetyBackup: boolean; wait?: boolean }) => {
        if (Boolean(options.newDatabase) === Boolean(options.inPlace)) throw new CliError('say where: --new-database <name> or --in-place --confirm <service>', exitCodes.usage);
        const target = options.inPlace ? { kind: 'in_place', confirm: options.confirm ?? '', safetyBackup: options.safetyBackup } : { kind: 'new_database', database: options.newDatabase };
        let restore = await context.api.request<Restore>('POST', `/v1/backups/${backupId}/restores`, { target });
        if (options.wait) restore = await waitForRestore(context.api, restore.id);
        if (context.out.json) printJson(context.out, restore);
        else
          printFields(context.out, [
            ['restore', restore.id],
            ['status', restore.status],
            ['target', restore.target.kind === 'new_database' ? `new database ${restore.target.database}` : 'in place'],
            ['safety backup', restore.safetyBackupId],
            ['failure', restore.failure ? `${restore.failure.code}: ${restore.failure.message}` : null],
          ]);
        return options.wait ? outcomeCode(restore.status) : exitCodes.ok;
      }),
    );

  backups
    .command('verify')
    .argument('<backup>', 'the backup id (bkp_…)', backupIdArgument)
    .description('restore drill: restore into a scratch database and check every table')
    .option('--wait', 'wait for the verdict (exit 1 if the drill failed)')
    .action(
      run(async (context, backupId: string, options: { wait?: boolean }) => {
        let backup = await context.api.request<Backup>('POST', `/v1/backups/${backupId}/verify`);
        if (options.wait) backup = await waitForVerification(context.api, backupId);
        const verification = backup.verification as { status: string; details?: { problems: string[] } } | null;
        if (context.out.json) printJson(context.out, backup);
        else context.out.write(`verification: ${verification?.status ?? '-'}${verification?.details?.problems.length ? `\n  ${verification.details.problems.join('\n  ')}` : ''}\n`);
        return options.wait && verification?.status !== 'passed' ? exitCodes.operationFailed : exitCodes.ok;
      }),
    );
}

function showBackup(context: CommandContext, backup: Backup): void {
  if (context.out.json) return printJson(context.out, backup);
  printFields(context.out, [
    ['backup', backup.id],
    ['status', backup.status],
    ['trigger', backup.trigger],
    ['requested', backup.requestedAt],
    ['duration', formatDuration(backup.startedAt, backup.finishedAt)],
    ['size', formatBytes(backup.sizeBytes)],
    ['sha256', backup.sha256],
    ['expires', formatExpiry(backup)],
    ['failure', backup.failure ? `${backup.failure.code}: ${backup.failure.message}` : null],
  ]);
}
