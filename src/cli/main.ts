import { Command } from 'commander';
import type { AgentIo } from '../agent/command.js';
import { registerClientCommands } from './client/commands.js';
import { endQuietlyWhenOutputCloses } from './client/output.js';
import { reportParseFailure, takeOverUsageErrors } from './client/usage.js';

// The server and the agent are loaded only by the commands that run them: every backup starts
// an agent process, and the server's modules (Fastify, PGlite, Kysely, the dashboard) would
// add about 0.4 s to each.
const runServerCommand = async (role: 'serve' | 'api' | 'orchestrator') => (await import('./server-command.js')).runServerCommand(role);
const agentCommands = () => import('../agent/command.js');

const program = new Command('lifeboat').description('Backups as recovery promises for the databases of a platform service catalog.');
takeOverUsageErrors(program);
// A person's command (and help) ends quietly when its reader stops early (`| head`); the server
// roles and the agent keep Node's default, where a closed stdout is a failure to notice.
const keepOutputDefaults = endQuietlyWhenOutputCloses();
program.hook('preSubcommand', (_program, command) => {
  if (['serve', 'api', 'orchestrator', 'agent'].includes(command.name())) keepOutputDefaults();
});

program
  .command('serve')
  .description('run every role in one process on the embedded defaults (PGlite, in-process bus, files in the data dir)')
  .action(() => runServerCommand('serve'));
program.command('api').description('run the HTTP API and its relay (scale out: any number of replicas)').action(() => runServerCommand('api'));
program.command('orchestrator').description('run the orchestrator that launches backup jobs (any number of replicas)').action(() => runServerCommand('orchestrator'));

const agent = program.command('agent').description('the entrypoint of a job; started by the orchestrator, not by hand');
const agentIo: AgentIo = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  onStopSignal: (handler) => {
    process.on('SIGTERM', handler).on('SIGINT', handler);
    return () => process.off('SIGTERM', handler).off('SIGINT', handler);
  },
};
type AgentCommands = Awaited<ReturnType<typeof agentCommands>>;
const runAgent = (command: (commands: AgentCommands) => AgentCommands['runAgentBackupCommand']) => async () => {
  try {
    process.exitCode = await command(await agentCommands())(process.env, agentIo);
  } finally {
    // The job is over and stdin, its orchestrator's lifeline, is read no more: a pipe that has
    // carried data (a standby's job) would keep the process alive until released.
    process.stdin.destroy();
  }
};
agent
  .command('backup')
  .description('back up the database LIFEBOAT_JOB names into LIFEBOAT_STORAGE_URL (password in LIFEBOAT_DATABASE_PASSWORD)')
  .action(runAgent((commands) => commands.runAgentBackupCommand));
agent
  .command('restore')
  .description('check and restore the artifact LIFEBOAT_JOB names from LIFEBOAT_STORAGE_URL (password in LIFEBOAT_DATABASE_PASSWORD)')
  .action(runAgent((commands) => commands.runAgentRestoreCommand));
agent
  .command('verify')
  .description('restore drill: restore the artifact LIFEBOAT_JOB names into a scratch database and check every table')
  .action(runAgent((commands) => commands.runAgentVerifyCommand));
agent
  .command('check')
  .description("connection check: a backup's pre-flight alone against the connection LIFEBOAT_JOB names (password in LIFEBOAT_DATABASE_PASSWORD)")
  .action(runAgent((commands) => commands.runAgentCheckCommand));
agent
  .command('standby')
  .description('start ahead of a job, then run the one that arrives as a JSON line on stdin (the local runner does this)')
  .action(runAgent((commands) => commands.runStandbyAgent));

registerClientCommands(program, process.env);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportParseFailure(error, program, process.argv.slice(2));
}
