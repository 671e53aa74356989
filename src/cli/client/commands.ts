import type { Command } from 'commander';
import { registerBackupCommands } from './backup-commands.js';
import { saveConnection } from './connection.js';
import { CommandContext, type GlobalFlags, type Run } from './context.js';
import { CliError, exitCodes } from './errors.js';
import { registerScheduleCommands } from './schedule-commands.js';
import { registerServiceCommands } from './service-commands.js';
import { registerTokenCommands } from './token-commands.js';

/**
 * The client commands (`lifeboat login`, `services`, `backups`, `schedule`, `tokens`): each runs with the
 * connection from flags, environment or the login file, prints a table or `--json`, and exits
 * with a code from errors.ts.
 */
export function registerClientCommands(program: Command, env: Readonly<Record<string, string | undefined>>): void {
  program
    .option('--url <url>', 'the Lifeboat API (or LIFEBOAT_URL, or `lifeboat login`)')
    .option('--token <token>', 'a project or admin token (or LIFEBOAT_TOKEN, or `lifeboat login`)')
    .option('--project <id>', 'the project, for the admin token (or LIFEBOAT_PROJECT)')
    .option('--json', 'print JSON for scripts');

  const run: Run =
    (action) =>
    async (...args) => {
      const flags = program.opts<GlobalFlags>();
      try {
        const context = await CommandContext.create(flags, env, (text) => process.stdout.write(text));
        // Commander passes the command object last; the action takes what comes before it.
        process.exitCode = (await action(context, ...(args.slice(0, -1) as never[]))) ?? exitCodes.ok;
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        if (flags.json) process.stdout.write(`${JSON.stringify({ error: { code: error.code ?? 'error', message: error.message } })}\n`);
        process.stderr.write(`lifeboat: ${error.message}\n`);
        process.exitCode = error.exitCode;
      }
    };

  program
    .command('login')
    .description('remember --url and --token for the commands below: `lifeboat login --url <url> --token <token>`')
    .action(async () => {
      // --url and --token are the program's own options, so they are read from there.
      const { url, token } = program.opts<GlobalFlags>();
      if (!url || !token) {
        process.stderr.write('lifeboat: usage: lifeboat login --url <url> --token <token>\n');
        process.exitCode = exitCodes.usage;
        return;
      }
      const path = await saveConnection({ url: url.replace(/\/+$/, ''), token }, env);
      process.stdout.write(`saved to ${path}\n`);
    });

  registerServiceCommands(program, run);
  registerBackupCommands(program, run);
  registerScheduleCommands(program, run);
  registerTokenCommands(program, run);
}
