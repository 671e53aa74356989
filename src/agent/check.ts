import type { Logger } from 'pino';
import type { CheckJobSpec, CheckReport, Failure } from '../contracts/index.js';
import { pgDumpVersion } from './backup.js';
import { JobFailure } from './job-failure.js';
import type { ResolveAddress } from './postgres-connection.js';
import { redact } from './postgres-failures.js';
import { runPreflight } from './preflight.js';

export interface CheckDependencies {
  password: string | undefined;
  /** PATH (where pg_dump is found) and locale; nothing else is passed on. */
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  logger: Logger;
  resolve?: ResolveAddress;
}

/**
 * A connection check: exactly the backup's pre-flight (preflight.ts), then nothing. What would
 * make a backup fail before it dumps makes the check fail with the same code and message.
 */
export async function runCheck(spec: CheckJobSpec, deps: CheckDependencies): Promise<CheckReport> {
  try {
    const passed = await runPreflight({
      connection: spec.connection,
      password: deps.password,
      resolve: deps.resolve,
      lockWaitTimeoutMs: spec.lockWaitTimeoutSeconds * 1000,
      applicationName: `lifeboat-check ${spec.checkId}`,
      toolVersion: () => pgDumpVersion(deps.env),
      backupSettings: spec.backupSettings,
    });
    await passed.session.close();
    return { outcome: 'succeeded', serverVersion: passed.server.text, toolVersion: passed.tool.text, warnings: [] };
  } catch (error) {
    if (deps.signal.aborted) return { outcome: 'canceled' };
    const failure = failureOf(error);
    const message = redact(failure.message, [deps.password]);
    deps.logger.warn({ code: failure.code }, 'connection check failed');
    return { outcome: 'failed', failure: { code: failure.code, message } };
  }
}

function failureOf(error: unknown): Failure {
  if (error instanceof JobFailure) return error.failure;
  // As a backup reports an unexpected pre-flight error (backup.ts): the same code for the same cause.
  return { code: 'pg_dump_failed', message: `the connection check failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` };
}
