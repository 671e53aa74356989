import type { Command } from 'commander';
import type { Backup, CommandContext, Service } from './context.js';
import { CliError, exitCodes } from './errors.js';

/**
 * How a command names a backup: its whole id (`bkp_3k9x…`), the start of one when only one
 * backup has it (`bkp_3k9`), or `latest` (with `--service` when the project has several).
 * Every command that takes a backup goes through here, so they all read it the same way.
 */
export type BackupReference = { kind: 'id'; id: string } | { kind: 'prefix'; prefix: string } | { kind: 'latest' };

/** Which backup `latest` means: the newest that succeeded (what you download or restore), or the newest at all (what you cancel or look at). */
export type LatestOf = 'succeeded' | 'any';

const wholeId = /^bkp_[0-9a-z]{16}$/;
const partOfId = /^bkp_[0-9a-z]{1,15}$/;

/** Reads what was typed; anything that is no id, no start of one and not `latest` is wrong usage (exit 2). */
export function parseBackupReference(text: string): BackupReference {
  if (text === 'latest') return { kind: 'latest' };
  if (wholeId.test(text)) return { kind: 'id', id: text };
  if (partOfId.test(text)) return { kind: 'prefix', prefix: text };
  throw new CliError(`${text} is not a backup id (bkp_…, the start of one, or latest)`, exitCodes.usage, 'usage');
}

/** The one id among `ids` that starts with `prefix`: none is not found (exit 3), several is wrong usage (exit 2) naming them. */
export function matchPrefix(prefix: string, ids: readonly string[]): string {
  const matches = [...new Set(ids.filter((id) => id.startsWith(prefix)))];
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new CliError(`no backup id starts with ${prefix}`, exitCodes.refused, 'not_found');
  const shown = matches.slice(0, 10).join(', ');
  throw new CliError(`${prefix} is the start of ${matches.length} backup ids: ${shown}${matches.length > 10 ? ', …' : ''}; give more of it`, exitCodes.usage, 'ambiguous');
}

/** The newest backup of a list given newest first that `latest` means, or undefined. */
export function pickLatest(backups: readonly Pick<Backup, 'id' | 'status'>[], of: LatestOf): string | undefined {
  return backups.find((backup) => of === 'any' || backup.status === 'succeeded')?.id;
}

/** The service `latest` is about when none was named: the project's only one, else wrong usage naming them. */
export function onlyService<T extends Pick<Service, 'name'>>(services: readonly T[]): T {
  if (services.length === 1) return services[0]!;
  if (services.length === 0) throw new CliError('this project has no services, so it has no latest backup', exitCodes.refused, 'not_found');
  throw new CliError(`latest needs --service <service>: this project has ${services.length} (${services.map((service) => service.name).join(', ')})`, exitCodes.usage, 'usage');
}

/** Adds the `<backup>` argument and the `--service` option that narrows `latest` and id prefixes to one service. */
export function backupArgument(command: Command): Command {
  return command
    .argument('<backup>', 'the backup: its id (bkp_…), the start of one, or latest', parseBackupReference)
    .option('--service <service>', 'with latest or the start of an id: the service (name or id) whose backups to look in');
}

/** The id a reference names, asking the API what `latest` or a prefix stands for. */
export async function resolveBackup(context: CommandContext, reference: BackupReference, options: { service?: string; latest?: LatestOf }): Promise<string> {
  if (reference.kind === 'id') return reference.id;
  const named = options.service === undefined ? undefined : await context.service(options.service);
  if (reference.kind === 'latest') {
    const service = named ?? onlyService(await context.services());
    const found = await findInBackups(context, service, (page) => pickLatest(page, options.latest ?? 'succeeded'));
    if (!found) throw new CliError(`${service.name} has no ${options.latest === 'any' ? '' : 'succeeded '}backup yet`, exitCodes.refused, 'not_found');
    return found;
  }
  const services = named ? [named] : await context.services();
  const ids: string[] = [];
  for (const service of services) await findInBackups(context, service, (page) => void ids.push(...page.map((backup) => backup.id)));
  return matchPrefix(reference.prefix, ids);
}

/** Goes through a service's backups, newest first, a page at a time, until `look` answers an id. */
async function findInBackups(context: CommandContext, service: Service, look: (page: Backup[]) => string | undefined): Promise<string | undefined> {
  let cursor: string | null = null;
  do {
    const query: string = `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: { backups: Backup[]; nextCursor: string | null } = await context.api.request('GET', `/v1/services/${service.id}/backups?${query}`);
    const found = look(page.backups);
    if (found) return found;
    cursor = page.nextCursor;
  } while (cursor);
  return undefined;
}
