import type { Command } from 'commander';
import { wholeNumber } from './arguments.js';
import type { Run, Service } from './context.js';
import { printJson, printTable } from './output.js';
import { confirmByName, servicePassword } from './prompts.js';

/** `lifeboat services list|add|remove`. */
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
    .action(
      run(async (context, name: string, options: { host: string; port: number; database: string; user: string; passwordStdin?: boolean }) => {
        const password = await servicePassword({ fromStdin: options.passwordStdin === true, env: process.env, readStdin });
        const service = await context.api.request<Service>('POST', `/v1/projects/${await context.projectId()}/services`, {
          name,
          engine: 'postgresql',
          connection: { host: options.host, port: options.port, database: options.database, user: options.user, password },
        });
        if (context.out.json) return printJson(context.out, service);
        context.out.write(`registered ${service.name} (${service.id})\n`);
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
