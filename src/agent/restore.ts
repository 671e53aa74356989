import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Failure, RestoreJobSpec, RestoreReport } from '../contracts/index.js';
import { StorageUnavailableError } from '../storage/object-store.js';
import { JobFailure } from './job-failure.js';
import { redact } from './postgres-failures.js';
import { checkedArtifactFile, createDatabase, dropDatabase, restoreFile, type StepDependencies } from './restore-steps.js';

export interface RestoreDependencies extends StepDependencies {
  logger: Logger;
  /** Where an artifact from object storage is downloaded (a Kubernetes emptyDir); the system temp dir by default. */
  workDir: string | undefined;
}

/**
 * One restore. The artifact's SHA-256 and size are checked against the backup's record before
 * anything touches the target (on a file downloaded from object storage, or on the filesystem
 * store's own file, held open); then `pg_restore` runs into a new database (created here,
 * dropped again if the restore fails) or over the service's database in one transaction.
 */
export async function runRestore(spec: RestoreJobSpec, deps: RestoreDependencies): Promise<RestoreReport> {
  const work = await mkdtemp(join(deps.workDir ?? tmpdir(), 'lifeboat-restore-'));
  const database = spec.target.kind === 'new_database' ? spec.target.database : spec.connection.database;
  let created = false;
  try {
    const file = await checkedArtifactFile(spec.artifact, deps, work);
    try {
      deps.signal.throwIfAborted();
      if (spec.target.kind === 'new_database') {
        await createDatabase(spec.connection, deps.password, database);
        created = true;
      }
      await restoreFile(spec.connection, deps, { database, file, inPlace: spec.target.kind === 'in_place' });
    } finally {
      await file.close();
    }
    return { outcome: 'succeeded', database };
  } catch (error) {
    // A half-restored new database is worse than none.
    if (created) await dropDatabase(spec.connection, deps.password, database).catch((dropError: unknown) => deps.logger.warn({ err: dropError }, 'could not drop the half-restored database'));
    if (deps.signal.aborted) return { outcome: 'canceled' };
    const failure = failureOf(error);
    deps.logger.warn({ code: failure.code }, 'restore failed');
    return { outcome: 'failed', failure: { code: failure.code, message: redact(failure.message, [deps.password]) } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function failureOf(error: unknown): Failure {
  if (error instanceof JobFailure) return error.failure;
  if (error instanceof StorageUnavailableError) return { code: 'storage_unavailable', message: `could not read the backup from storage: ${error.message}` };
  return { code: 'restore_failed', message: `the restore failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` };
}
