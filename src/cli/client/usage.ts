import { type Command, CommanderError } from 'commander';
import { CliError, exitCodes, reportError } from './errors.js';

/**
 * Commander's own refusals (a missing argument, an unknown option or command, a command group
 * without its subcommand) are wrong usage: exit 2, told like every other error (`lifeboat: …`,
 * and `{"error": …}` with --json), with the command's usage line. Call before adding commands:
 * subcommands copy these settings when they are created.
 */
export function takeOverUsageErrors(program: Command): void {
  program.exitOverride().configureOutput({ outputError: () => {} });
}

/** Reports what ended parsing and answers the exit code; rethrows what is not a usage error or a CliError. */
export function reportParseFailure(error: unknown, program: Command, argv: readonly string[]): number {
  const json = program.opts<{ json?: boolean }>().json === true;
  if (error instanceof CommanderError) {
    // --help and --version asked for; a group's help shown on stderr for a missing subcommand.
    if (error.exitCode === 0) return exitCodes.ok;
    if (error.code === 'commander.help') return exitCodes.usage;
    const command = commandOf(program, argv);
    const usage = [...ancestry(command).map((each) => each.name()), command.usage()].join(' ');
    error = new CliError(`${error.message.replace(/^error: /, '')} (usage: ${usage})`, exitCodes.usage, 'usage');
  }
  if (!(error instanceof CliError)) throw error;
  reportError(error, json);
  return error.exitCode;
}

/** The deepest command `argv` names (`backups info` for `lifeboat backups info --json`). */
function commandOf(program: Command, argv: readonly string[]): Command {
  let command = program;
  for (const word of argv) {
    const sub = command.commands.find((each) => each.name() === word || each.aliases().includes(word));
    if (sub) command = sub;
  }
  return command;
}

function ancestry(command: Command): Command[] {
  return command.parent ? [...ancestry(command.parent), command] : [command];
}
