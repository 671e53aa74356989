import { type Command, Option } from 'commander';
import { engineDescriptors, engineNamed, engineSpellings } from '../../contracts/index.js';
import { CliError, exitCodes } from './errors.js';
import { wholeNumber } from './arguments.js';
import type { CommandContext, Run, Service } from './context.js';
import { printJson, printTable } from './output.js';
import { confirmByName, servicePassword } from './prompts.js';

/** `lifeboat services list|add|update|test|remove|purge`. */
export function registerServiceCommands(program: Command, run: Run): void {
  const services = program.command('services').description('the databases this project backs up');

  services
    .command('list')
    .description('list the services; --archived lists the archived ones, whose backups stay downloadable and restorable')
    .option('--archived', 'list the archived services instead of the active ones')
    .action(
      run(async (context, options: { archived?: boolean }) => {
        const { services: rows } = await context.api.request<{ services: Service[] }>('GET', `/v1/projects/${await context.projectId()}/services${options.archived ? '?archived=true' : ''}`);
        if (context.out.json) return printJson(context.out, rows);
        printTable(
          context.out,
          ['ID', 'NAME', 'ENGINE', 'CONNECTION'],
          rows.map((service) => [service.id, service.name, service.engine, connectionText(service)]),
        );
      }),
    );

  services
    .command('add <name>')
    .description('register a database (PostgreSQL, or MariaDB/MySQL with --engine mariadb); the password comes from LIFEBOAT_SERVICE_PASSWORD, --password-stdin or, on a terminal, a prompt that does not echo it; never the command line, never empty')
    .addOption(new Option('--engine <engine>', 'its database engine').choices(engineSpellings).default('postgresql'))
    .requiredOption('--host <host>', 'host name or address')
    .option('--port <port>', "port (the engine's own, 5432 or 3306, when left out)", wholeNumber('--port', 1))
    .requiredOption('--database <database>', 'database name')
    .requiredOption('--user <user>', "user the service's backup jobs connect as")
    .option('--password-stdin', 'read the password from standard input')
    .option('--skip-check', "save without first checking the connection with a backup's pre-flight")
    .action(
      run(async (context, name: string, options: { engine: string; host: string; port?: number; database: string; user: string; passwordStdin?: boolean; skipCheck?: boolean }) => {
        const password = await servicePassword({ fromStdin: options.passwordStdin === true, env: process.env, readStdin });
        const service = await context.api.request<ServiceWithWarnings>('POST', `/v1/projects/${await context.projectId()}/services${options.skipCheck ? '?skipCheck=true' : ''}`, {
          name,
          engine: options.engine,
          connection: { host: options.host, ...(options.port !== undefined ? { port: options.port } : {}), database: options.database, user: options.user, password },
        });
        if (context.out.json) return printJson(context.out, service);
        context.out.write(`registered ${service.name} (${service.id})\n`);
        warnAbout(service.warnings);
      }),
    );

  services
    .command('update <service>')
    .description("change a service's name or connection (by name or id); a connection change is checked first, as at registration; the password changes only with --password-stdin or --new-password")
    .option('--name <name>', 'its new name')
    .option('--host <host>', 'new host name or address')
    .option('--port <port>', 'new port', wholeNumber('--port', 1))
    .option('--database <database>', 'new database name')
    .option('--user <user>', "new user the service's backup jobs connect as")
    .option('--password-stdin', 'read the new password from standard input')
    .option('--new-password', 'set a new password, from LIFEBOAT_SERVICE_PASSWORD or, on a terminal, a prompt that does not echo it')
    .option('--skip-check', 'save without first checking the new connection')
    .action(
      run(async (context, reference: string, options: UpdateOptions) => {
        const connection: Record<string, string | number> = {};
        if (options.host !== undefined) connection.host = options.host;
        if (options.port !== undefined) connection.port = options.port;
        if (options.database !== undefined) connection.database = options.database;
        if (options.user !== undefined) connection.user = options.user;
        if (options.passwordStdin || options.newPassword) connection.password = await servicePassword({ fromStdin: options.passwordStdin === true, env: process.env, readStdin });
        const changes = { ...(options.name !== undefined ? { name: options.name } : {}), ...(Object.keys(connection).length > 0 ? { connection } : {}) };
        if (Object.keys(changes).length === 0) throw new CliError('nothing to change: give --name, --host, --port, --database, --user, --password-stdin or --new-password', exitCodes.usage, 'usage');
        const service = await context.service(reference);
        const updated = await context.api.request<ServiceWithWarnings>('PATCH', `/v1/services/${service.id}${options.skipCheck ? '?skipCheck=true' : ''}`, changes);
        if (context.out.json) return printJson(context.out, updated);
        context.out.write(`updated ${updated.name} (${updated.id}): ${connectionText(updated)}\n`);
        warnAbout(updated.warnings);
      }),
    );

  services
    .command('test <service>')
    .description("check a service's connection (by name or id) with the pre-flight a backup runs; exits 1 when it fails")
    .action(
      run(async (context, reference: string) => {
        const service = await context.service(reference);
        const check = await context.api.request<ConnectionCheck>('POST', `/v1/services/${service.id}/test-connection`);
        // A failure is told like any other (stderr, or `{"error": {code, message}}` with --json), with exit code 1.
        if (check.failure) throw new CliError(`${service.name}: connection check failed: ${check.failure.code}: ${check.failure.message}`, exitCodes.operationFailed, check.failure.code);
        if (context.out.json) return printJson(context.out, check);
        const engine = engineNamed(service.engine);
        context.out.write(`${service.name}: ok (${engine ? engineDescriptors[engine].label : service.engine} server ${check.serverVersion ?? '?'}, dump tool ${check.toolVersion ?? '?'})\n${check.warnings.map((warning) => `warning: ${warning}\n`).join('')}`);
      }),
    );

  services
    .command('remove <service>')
    .description('archive a service (by name or id): out of the catalog and its schedule, its name free again; its backups stay downloadable and restorable; asks for its name on a terminal, needs --confirm <service> elsewhere')
    .option('--confirm <service>', 'the service name, to show you mean it')
    .action(
      run(async (context, reference: string, options: { confirm?: string }) => {
        const service = await context.service(reference);
        await confirmByName({ name: service.name, given: options.confirm, command: 'services remove', action: `removes ${service.name} from the catalog (its backups stay)` });
        await context.api.request('DELETE', `/v1/services/${service.id}`);
        if (context.out.json) return printJson(context.out, { removed: service.id });
        context.out.write(`removed ${service.name}\n`);
      }),
    );

  services
    .command('purge <service>')
    .description('archive a service if need be and delete every one of its backups for good (by name or id; an archived one too); asks for its name on a terminal, needs --confirm <service> elsewhere')
    .option('--confirm <service>', 'the service name, to show you mean it')
    .action(
      run(async (context, reference: string, options: { confirm?: string }) => {
        const service = await activeOrArchived(context, reference);
        const confirm = await confirmByName({ name: service.name, given: options.confirm, command: 'services purge', action: `deletes every backup of ${service.name} for good` });
        const { purged } = await context.api.request<{ purged: { backups: number; artifacts: number } }>('DELETE', `/v1/services/${service.id}?purge=true&confirm=${encodeURIComponent(confirm)}`);
        if (context.out.json) return printJson(context.out, { purged: service.id, ...purged });
        context.out.write(`purged ${service.name}: ${purged.backups} backups removed, the files of ${purged.artifacts} being deleted\n`);
      }),
    );
}

// A name is looked up among the active services first: an archived one may share it.
async function activeOrArchived(context: CommandContext, reference: string): Promise<Service> {
  if (/^svc_[0-9a-z]{16}$/.test(reference)) return context.service(reference);
  const active = (await context.services()).find((service) => service.name === reference);
  if (active) return active;
  const { services: archived } = await context.api.request<{ services: Service[] }>('GET', `/v1/projects/${await context.projectId()}/services?archived=true`);
  const matches = archived.filter((service) => service.name === reference);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new CliError(`${matches.length} archived services are named ${reference}: give the id (${matches.map((service) => service.id).join(', ')})`, exitCodes.usage, 'ambiguous');
  throw new CliError(`no service named ${reference} in this project, active or archived`, exitCodes.refused, 'not_found');
}

function connectionText(service: Service): string {
  return `${service.connection.user}@${service.connection.host}:${service.connection.port}/${service.connection.database}`;
}

// On standard error, so standard output stays what the command prints.
function warnAbout(warnings: readonly ServiceWarning[]): void {
  for (const warning of warnings) process.stderr.write(`warning: ${warning.code}: ${warning.message}\n`);
}

interface UpdateOptions {
  name?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  passwordStdin?: boolean;
  newPassword?: boolean;
  skipCheck?: boolean;
}

interface ServiceWarning {
  code: string;
  message: string;
  serviceId: string;
}

type ServiceWithWarnings = Service & { warnings: ServiceWarning[] };

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface ConnectionCheck {
  result: 'ok' | 'failed';
  failure: { code: string; message: string } | null;
  serverVersion: string | null;
  toolVersion: string | null;
  warnings: string[];
}
