import type { Logger } from 'pino';
import type { CheckJobSpec, CheckReport, DroppedObjects, Failure, RestorePlanRequest } from '../../contracts/index.js';
import { ObjectNotFoundError, type ObjectStore } from '../../storage/object-store.js';
import { pgDumpVersion } from './backup.js';
import { JobFailure } from '../../agent/job-failure.js';
import { tableOfContents } from './in-place-restore.js';
import type { PinnedTarget, ResolveAddress } from '../../agent/pinned-target.js';
import { redact } from '../../agent/redact.js';
import { runPreflight } from './preflight.js';
import { listed } from './restore-drops.js';
import { objectsToDrop } from './restore-steps.js';

export interface CheckDependencies {
  password: string | undefined;
  /** PATH (where pg_dump is found) and locale; nothing else is passed on. */
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  logger: Logger;
  resolve?: ResolveAddress;
  /** Where a restore plan reads the artifact's table of contents from. */
  store: ObjectStore;
}

/**
 * A connection check: exactly the backup's pre-flight (preflight.ts), then nothing. What would
 * make a backup fail before it dumps makes the check fail with the same code and message. Asked
 * for a restore plan, it also says what an in-place restore of that artifact would drop now.
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
    const drops = spec.restorePlan ? await planDrops(spec.restorePlan, passed.target, deps) : undefined;
    return { outcome: 'succeeded', serverVersion: passed.server.text, toolVersion: passed.tool.text, warnings: [], ...(drops ? { drops } : {}) };
  } catch (error) {
    if (deps.signal.aborted) return { outcome: 'canceled' };
    const failure = failureOf(error);
    const message = redact(failure.message, [deps.password]);
    deps.logger.warn({ code: failure.code }, 'connection check failed');
    return { outcome: 'failed', failure: { code: failure.code, message } };
  }
}

/** The same computation an in-place restore makes, on the artifact's table of contents read from storage. */
async function planDrops(plan: RestorePlanRequest, target: PinnedTarget, deps: CheckDependencies): Promise<DroppedObjects> {
  const artifact = await deps.store.get(plan.artifact.key).catch((error: unknown) => {
    if (error instanceof ObjectNotFoundError) throw new JobFailure({ code: 'artifact_missing', message: `the backup's file ${plan.artifact.key} is not in storage` });
    throw error;
  });
  return listed(await objectsToDrop(target, deps.password, await tableOfContents(artifact, deps), plan.keep));
}

function failureOf(error: unknown): Failure {
  if (error instanceof JobFailure) return error.failure;
  // As a backup reports an unexpected pre-flight error (backup.ts): the same code for the same cause.
  return { code: 'dump_failed', message: `the connection check failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` };
}
