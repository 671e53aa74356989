import type { Command } from 'commander';
import { resourceId } from './arguments.js';
import { registerAuditCommand } from './audit-command.js';
import { registerBackupCommands } from './backup-commands.js';
import { CommandContext, type GlobalFlags, type Run } from './context.js';
import { CliError, exitCodes, reportError } from './errors.js';
import type { Output } from './output.js';
import { type Guard, registerSessionCommands } from './session-commands.js';
import { registerScheduleCommands } from './schedule-commands.js';
import { registerRestoreCommands } from './restore-commands.js';
import { registerServiceCommands } from './service-commands.js';
import { registerStatusCommand } from './status-command.js';
import { registerTokenCommands } from './token-commands.js';
import { registerWebhookCommands } from './webhook-commands.js';

/**
 * The client commands (`lifeboat login`, `status`, `services`, `backups`, `restores`, `schedule`, `webhooks`, `tokens`, `audit`): each runs with the
 * connection from flags, environment or the login file, prints a table or `--json`, and exits
 * with a code from errors.ts.
 */
export function registerClientCommands(program: Command, env: Readonly<Record<string, string | undefined>>): void {
  program
    .option('--url <url>', 'the Lifeboat API (or LIFEBOAT_URL, or `lifeboat login`)')
    .option('--token <token>', 'a project or admin token (or LIFEBOAT_TOKEN, or `lifeboat login`)')
    .option('--project <id>', 'the project, for the admin token (or LIFEBOAT_PROJECT)', resourceId('prj'))
    .option('--json', 'print JSON for scripts');

  const flags = () => program.opts<GlobalFlags>();
  const write = (text: string) => void process.stdout.write(text);
  const guarded: Guard = async (body) => {
    try {
      process.exitCode = (await body({ json: flags().json === true, write } satisfies Output)) ?? exitCodes.ok;
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      reportError(error, flags().json === true);
      process.exitCode = error.exitCode;
    }
  };
  const run: Run =
    (action) =>
    (...args) =>
      guarded(async () => {
        const context = await CommandContext.create(flags(), env, write);
        // Commander passes the command object last; the action takes what comes before it.
        return action(context, ...(args.slice(0, -1) as never[]));
      });

  registerSessionCommands(program, { run, guarded, flags, env });
  registerStatusCommand(program, run);
  registerServiceCommands(program, run);
  registerBackupCommands(program, run);
  registerRestoreCommands(program, run);
  registerScheduleCommands(program, run);
  registerWebhookCommands(program, run);
  registerTokenCommands(program, run);
  registerAuditCommand(program, run);
}
