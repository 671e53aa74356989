import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { wholeNumber } from './arguments.js';
import { backupArgument, type BackupReference, type LatestOf, resolveBackup } from './backup-reference.js';
import type { Backup, CommandContext, Contents, Restore, Run, Service } from './context.js';
import { CliError, exitCodes } from './errors.js';
import { formatBytes, formatDuration, printFields, printJson, printTable } from './output.js';
import { ProgressBar } from './progress.js';
import { confirmByName } from './prompts.js';
import { targetText } from './restore-commands.js';
import { drillVerdict, formatExpiry, formatTime } from './times.js';
import { waitForBackup, waitForRestore, waitForVerification } from './wait.js';

/** The options every command taking a backup has (backup-reference.ts). */
interface BackupOptions {
  service?: string;
}

/** The backup id a command was given, `latest` and prefixes resolved. */
const backupIdOf = (context: CommandContext, reference: BackupReference, options: BackupOptions, latest: LatestOf = 'succeeded') =>
  resolveBackup(context, reference, { service: options.service, latest });

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
        const timeZone = await scheduleTimeZone(context, service);
        printTable(
          context.out,
          ['ID', 'STATUS', 'TRIGGER', 'REQUESTED', 'DURATION', 'SIZE', 'EXPIRES', 'DRILL', 'FAILURE'],
          rows.map((backup) => [
            backup.id,
            backup.status,
            backup.trigger,
            formatTime(backup.requestedAt, timeZone),
            formatDuration(backup.startedAt, backup.finishedAt),
            formatBytes(backup.sizeBytes),
            formatExpiry(backup, timeZone),
            drillVerdict(backup.verification),
            backup.failure?.code,
          ]),
        );
      }),
    );

  backupArgument(backups.command('info'))
    .description('one backup, with its drill verdict, and its failure in words if it failed (latest: the newest at all)')
    .action(
      run(async (context, reference: BackupReference, options: BackupOptions) => {
        const backup = await context.api.request<Backup>('GET', `/v1/backups/${await backupIdOf(context, reference, options, 'any')}`);
        const service = await context.api.request<Service>('GET', `/v1/services/${backup.serviceId}`);
        const timeZone = await scheduleTimeZone(context, service);
        showBackup(context, backup, { timeZone });
      }),
    );

  backupArgument(backups.command('cancel'))
    .description('stop a backup that has not finished (latest: the newest at all)')
    .action(
      run(async (context, reference: BackupReference, options: BackupOptions) =>
        showBackup(context, await context.api.request<Backup>('POST', `/v1/backups/${await backupIdOf(context, reference, options, 'any')}/cancel`)),
      ),
    );

  backupArgument(backups.command('delete'))
    .description('delete a succeeded backup and its files; asks for the service name on a terminal, needs --confirm <service> elsewhere')
    .option('--confirm <service>', 'the name of the backup’s service, to show you mean it')
    .action(
      run(async (context, reference: BackupReference, options: BackupOptions & { confirm?: string }) => {
        const backupId = await backupIdOf(context, reference, options);
        const backup = await context.api.request<Backup>('GET', `/v1/backups/${backupId}`);
        const service = await context.api.request<Service>('GET', `/v1/services/${backup.serviceId}`);
        await confirmByName({ name: service.name, given: options.confirm, command: 'backups delete', action: `deletes backup ${backupId} of ${service.name} (${formatTime(backup.requestedAt)}) and its files for good` });
        showBackup(context, await context.api.request<Backup>('DELETE', `/v1/backups/${backupId}`));
      }),
    );

  backupArgument(backups.command('url'))
    .description('a short-lived download link that needs no token')
    .action(
      run(async (context, reference: BackupReference, options: BackupOptions) => {
        const backupId = await backupIdOf(context, reference, options);
        const link = await context.api.request<{ url: string; expiresAt: string }>('POST', `/v1/backups/${backupId}/download-url`);
        if (context.out.json) return printJson(context.out, link);
        context.out.write(`${link.url}\n(valid until ${link.expiresAt})\n`);
      }),
    );

  backupArgument(backups.command('download'))
    .description('download a backup, checking its SHA-256 (exit 1 and no file if it does not match)')
    .option('-o, --output <file>', 'where to write it (default: the backup id with .dump)')
    .action(
      run(async (context, reference: BackupReference, options: BackupOptions & { output?: string }) => {
        const backupId = await backupIdOf(context, reference, options);
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

  backupArgument(backups.command('contents'))
    .description('what a backup holds: tables and their row counts, views, functions, sequences, large objects, roles, and what it left out, taken when it was made')
    .action(
      run(async (context, reference: BackupReference, options: BackupOptions) => {
        const backupId = await backupIdOf(context, reference, options);
        const contents = await context.api.request<Contents>('GET', `/v1/backups/${backupId}/contents`);
        if (context.out.json) return printJson(context.out, contents);
        printFields(context.out, [
          ['server', contents.serverVersion],
          ['dump tool', contents.toolVersion],
          ...(contents.extensions.length > 0 ? [['extensions', contents.extensions.map((extension) => `${extension.name} ${extension.version}`).join(', ')] as [string, string]] : []),
          ...contentsCounts(contents),
        ]);
        printTable(
          context.out,
          ['TABLE', 'ROWS', 'SIZE'],
          contents.tables.map((table) => [`${table.schema}.${table.name}`, table.rows, formatBytes(table.bytes)]),
        );
      }),
    );

  backupArgument(backups.command('restore'))
    .description("restore into a new database, over the service, or over another service of the project (the last two take a safety backup first)")
    .option('--new-database <name>', 'restore into a new database of this name on the service’s server')
    .option('--in-place', "restore over the service's own database; asks for the service name on a terminal, needs --confirm <service> elsewhere")
    .option('--to-service <service>', "restore over another service's database (by name or id); asks for its name on a terminal, needs --confirm <service> elsewhere")
    .option('--confirm <service>', 'with --in-place or --to-service: the name of the service overwritten, to show you mean it')
    .option('--no-safety-backup', 'with --in-place or --to-service: skip the safety backup')
    .option('--wait', 'wait until it has finished (exit 1 if it failed)')
    .action(
      run(async (context, reference: BackupReference, options: BackupOptions & { newDatabase?: string; inPlace?: boolean; toService?: string; confirm?: string; safetyBackup: boolean; wait?: boolean }) => {
        const targets = [options.newDatabase, options.inPlace, options.toService].filter(Boolean).length;
        if (targets !== 1) throw new CliError('say where, once: --new-database <name>, --in-place --confirm <service> or --to-service <service> --confirm <service>', exitCodes.usage, 'usage');
        const backupId = await backupIdOf(context, reference, options);
        const safety = options.safetyBackup ? 'after a safety backup of what it holds now' : 'without a safety backup';
        let target: Record<string, unknown>;
        if (options.inPlace) {
          const backup = await context.api.request<Backup>('GET', `/v1/backups/${backupId}`);
          const service = await context.api.request<Service>('GET', `/v1/services/${backup.serviceId}`);
          const confirm = await confirmByName({ name: service.name, given: options.confirm, command: 'backups restore --in-place', action: `replaces the database of ${service.name} with backup ${backupId}, ${safety}` });
          target = { kind: 'in_place', confirm, safetyBackup: options.safetyBackup };
        } else if (options.toService) {
          const service = await context.service(options.toService);
          const confirm = await confirmByName({ name: service.name, given: options.confirm, command: 'backups restore --to-service', action: `replaces the database of ${service.name} with backup ${backupId}, ${safety}` });
          target = { kind: 'service', serviceId: service.id, confirm, safetyBackup: options.safetyBackup };
        } else target = { kind: 'new_database', database: options.newDatabase };
        let restore = await context.api.request<Restore>('POST', `/v1/backups/${backupId}/restores`, { target });
        if (options.wait) restore = await waitForRestore(context.api, restore.id);
        if (context.out.json) printJson(context.out, restore);
        else
          printFields(context.out, [
            ['restore', restore.id],
            ['status', restore.status],
            ['target', targetText(restore)],
            ['safety backup', restore.safetyBackupId],
            ['failure', restore.failure ? `${restore.failure.code}: ${restore.failure.message}` : null],
          ]);
        return options.wait ? outcomeCode(restore.status) : exitCodes.ok;
      }),
    );

  backupArgument(backups.command('verify'))
    .description('restore drill: restore into a scratch database and check every table (needs the operator to set LIFEBOAT_VERIFY_DATABASE_URL)')
    .option('--wait', 'wait for the verdict (exit 1 if the drill failed)')
    .action(
      run(async (context, reference: BackupReference, options: BackupOptions & { wait?: boolean }) => {
        const backupId = await backupIdOf(context, reference, options);
        let backup = await context.api.request<Backup>('POST', `/v1/backups/${backupId}/verify`);
        if (options.wait) backup = await waitForVerification(context.api, backupId);
        const verification = backup.verification as { status: string; details?: { problems: string[] } } | null;
        if (context.out.json) printJson(context.out, backup);
        else context.out.write(`verification: ${verification?.status ?? '-'}${verification?.details?.problems.length ? `\n  ${verification.details.problems.join('\n  ')}` : ''}\n`);
        return options.wait && verification?.status !== 'passed' ? exitCodes.operationFailed : exitCodes.ok;
      }),
    );
}

function showBackup(context: CommandContext, backup: Backup, shown: { timeZone?: string } = {}): void {
  if (context.out.json) return printJson(context.out, backup);
  const drill = backup.verification as { checkedAt?: string } | null;
  printFields(context.out, [
    ['backup', backup.id],
    ['status', backup.status],
    ['trigger', backup.trigger],
    ['requested', formatTime(backup.requestedAt, shown.timeZone)],
    ['duration', formatDuration(backup.startedAt, backup.finishedAt)],
    ['size', formatBytes(backup.sizeBytes)],
    ['sha256', backup.sha256],
    ['expires', formatExpiry(backup, shown.timeZone)],
    ['drill', `${drillVerdict(backup.verification, true) ?? 'never drilled'}${drill?.checkedAt ? ` (${formatTime(drill.checkedAt, shown.timeZone)})` : ''}`],
    ['failure', backup.failure ? `${backup.failure.code}: ${backup.failure.message}` : null],
  ]);
}

/** The timezone of the service's schedule, in which its backups' times are shown; UTC without one. */
async function scheduleTimeZone(context: CommandContext, service: Service): Promise<string> {
  return context.api.request<{ timezone: string }>('GET', `/v1/services/${service.id}/schedule`).then(
    (schedule) => schedule.timezone,
    (error: unknown) => {
      if (error instanceof CliError && error.code === 'not_found') return 'UTC';
      throw error;
    },
  );
}


/**
 * The lines of `backups contents` after the versions: how many of each kind of object, which
 * roles a restore elsewhere needs, and what the backup left out (so nobody is surprised later).
 * Contents recorded before these fields existed have none of them: no line is printed then.
 */
function contentsCounts(contents: Contents): [string, string | number | null][] {
  const count = (items: readonly unknown[] | undefined) => (items === undefined ? undefined : items.length);
  const lines: [string, string | number | null][] = [];
  const counted: [string, number | undefined][] = [
    ['views', count(contents.views)],
    ['materialized views', count(contents.materializedViews)],
    ['functions', count(contents.functions)],
    ['sequences', count(contents.sequences)],
    ['large objects', contents.largeObjects],
  ];
  for (const [label, value] of counted) if (value !== undefined) lines.push([label, value]);
  if (contents.roles) lines.push(['roles', contents.roles.map((role) => `${role.name} (owns ${role.owns}, granted ${role.granted})`).join(', ') || 'none']);
  if (contents.excluded && contents.excluded.length > 0) {
    lines.push(['left out', contents.excluded.map((object) => `${object.kind.replace('_', ' ')} ${object.schema ? `${object.schema}.` : ''}${object.name} (${object.reason})`).join(', ')]);
  }
  return lines;
}
