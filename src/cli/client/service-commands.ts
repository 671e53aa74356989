import type { Command } from 'commander';
import { CliError, exitCodes } from './errors.js';
import { wholeNumber } from './arguments.js';
import type { Run, Service } from './context.js';
import { printJson, printTable } from './output.js';
import { confirmByName, servicePassword } from './prompts.js';

/** `lifeboat services list|add|test|remove`. */
export function registerServiceCommands(program: Command, run: Run): void {
  const services = program.command('services').description('the databases this project backs up');

  services
    .command('list')
    .description('list the services')
    .action(
      run(async (context) => {
        const { services: rows } = await context.api.request<{ services: Service[] }>('GET', `/v1/projects/${await context.projectId()}/services`);
        if (context.out.json) return printJson(context.out, rows);
        printTable(
          context.out,
          ['ID', 'NAME', 'ENGINE', 'CONNECTION'],
          rows.map((service) => [service.id, service.name, service.engine, `${service.connection.user}@${service.connection.host}:${service.connection.port}/${service.connection.database}`]),
        );
      }),
    );

  services
    .command('add <name>')
    .description('register a PostgreSQL database; the password comes from LIFEBOAT_SERVICE_PASSWORD, --password-stdin or, on a terminal, a prompt that does not echo it; never the command line, never empty')
    .requiredOption('--host <host>', 'host name or address')
    .option('--port <port>', 'port', wholeNumber('--port', 1), 5432)
    .requiredOption('--database <database>', 'database name')
    .requiredOption('--user <user>', 'user that pg_dump connects as')
    .option('--password-stdin', 'read the password from standard input')
    .option('--skip-check', "save without first checking the connection with a backup's pre-flight")
    .action(
      run(async (context, name: string, options: { host: string; port: number; database: string; user: string; passwordStdin?: boolean; skipCheck?: boolean }) => {
        const password = await servicePassword({ fromStdin: options.passwordStdin === true, env: process.env, readStdin });
        const service = await context.api.request<Service>('POST', `/v1/projects/${await context.projectId()}/services${options.skipCheck ? '?skipCheck=true' : ''}`, {
          name,
          engine: 'postgresql',
          connection: { host: options.host, port: options.port, database: options.database, user: options.user, password },
        });
        if (context.out.json) return printJson(context.out, service);
        context.out.write(`registered ${service.name} (${service.id})\n`);
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
        context.out.write(`${service.name}: ok (PostgreSQL ${check.serverVersion ?? '?'}, pg_dump ${check.toolVersion ?? '?'})\n${check.warnings.map((warning) => `warning: ${warning}\n`).join('')}`);
      }),
    );

  services
    .command('remove <service>')
    .description('remove a service from the catalog (by name or id); its backups stay; asks for its name on a terminal, needs --confirm <service> elsewhere')
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
}

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
