import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { ConfigError, loadConfig, type ServerRole } from '../config/config.js';
import { startServer } from '../server.js';
import { s3CredentialVariables } from '../storage/storage-url.js';

/**
 * The environment variables an agent job inherits from its orchestrator: the system basics and
 * the object store's credentials. Everything else, LIFEBOAT_SECRET_KEY above all, stays behind.
 */
const inheritedVariables = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', ...s3CredentialVariables];

/**
 * V8 flags for agents. An agent streams a dump through short-lived buffers, for which V8 grew
 * its young generation to 16 MiB per semi-space: a backup agent peaked at 106 MiB of RSS. Kept
 * at 1 MiB it peaks at 76 MiB, whatever the database's size, and spends less CPU, not more
 * (BENCHMARKS.md, fifth round).
 */
const agentNodeFlags = ['--max-semi-space-size=1'];

/**
 * Files this process creates (the PGlite database, admin-token, secret-key, artifacts, and what
 * its agents write, since they inherit it) are for its own user only, whatever umask the shell
 * or service manager started it with.
 */
const ownerOnly = 0o077;

/** `lifeboat serve|api|orchestrator`: runs until SIGINT or SIGTERM, then shuts down gracefully. */
export async function runServerCommand(role: ServerRole): Promise<void> {
  process.umask(ownerOnly);
  let config;
  try {
    config = loadConfig(role, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`lifeboat ${role}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({ level: config.logLevel, redact: { paths: ['*.password', '*.LIFEBOAT_DATABASE_PASSWORD', 'headers.authorization'], censor: '[redacted]' } });
  const server = await startServer(
    config,
    {
      agentCommand: [process.execPath, ...agentNodeFlags, fileURLToPath(new URL('./main.js', import.meta.url))],
      inheritedEnv: Object.fromEntries(inheritedVariables.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : []))),
    },
    logger,
  );
  printBanner(role, config.dataDir, config.databaseUrl === undefined, server);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

function printBanner(role: ServerRole, dataDir: string, embeddedDatabase: boolean, server: Awaited<ReturnType<typeof startServer>>): void {
  const lines = [`Lifeboat ${role} is running.`];
  if (server.url && role === 'orchestrator') lines.push(`  Operations:   ${server.url} (/healthz, /readyz, /metrics)`);
  else if (server.url) lines.push(`  API:          ${server.url}`);
  if (role === 'serve') lines.push(`  Admin token:  ${server.adminToken.value}`);
  if (server.adminToken.keptIn) lines.push(`  (the admin token is kept in ${server.adminToken.keptIn})`);
  if (embeddedDatabase) lines.push(`  Data dir:     ${dataDir}`);
  // Commands to copy as they are, with this very address and token (README "A first backup").
  if (role === 'serve' && server.url) {
    lines.push(
      '  Try it (in this directory, from another terminal):',
      `    npx lifeboat login --url ${server.url} --token ${server.adminToken.value}`,
      `    curl -s ${server.url}/v1/whoami -H "Authorization: Bearer ${server.adminToken.value}"`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
