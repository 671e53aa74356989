import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type DroppedObjects, type Failure, nameProblem, type RestoreJobSpec, type RestoreReport } from '../../contracts/index.js';
import { StorageUnavailableError } from '../../storage/object-store.js';
import { JobFailure } from '../../agent/job-failure.js';
import { redact } from '../../agent/redact.js';
import { type PinnedTarget, pinTarget } from '../../agent/pinned-target.js';
import { restoreInPlace, tableOfContents } from './in-place-restore.js';
import { listed } from './restore-drops.js';
import { checkRestoreTarget, DatabaseCreation, dropDatabase, objectsToDrop, restoreFile } from './restore-steps.js';
import { checkedArtifactFile, type StepDependencies } from '../../agent/artifact-file.js';

export interface RestoreDependencies extends StepDependencies {
  logger: Logger;
  /** Where an artifact from object storage is downloaded (a Kubernetes emptyDir); the system temp dir by default. */
  workDir: string | undefined;
}

/**
 * One restore. The artifact's SHA-256 and size are checked against the backup's record before
 * pg_restore touches the target (on a file downloaded from object storage, or on the filesystem
 * store's own file, held open); then `pg_restore` runs into a new database, or over the service's
 * database in one transaction that also drops what the backup does not hold (in-place-restore.ts),
 * at the address the job pinned, and in place only once the server there has said it is the
 * service's database. A new database is created while the artifact is checked, and
 * dropped again if the check or the restore fails: a half-restored new database is worse than none.
 */
export async function runRestore(spec: RestoreJobSpec, deps: RestoreDependencies): Promise<RestoreReport> {
  const work = await mkdtemp(join(deps.workDir ?? tmpdir(), 'lifeboat-restore-'));
  const inPlace = spec.target.kind === 'in_place';
  const database = spec.target.kind === 'new_database' ? spec.target.database : spec.connection.database;
  let target: PinnedTarget | undefined;
  let creation: DatabaseCreation | undefined;
  try {
    target = await pinTarget(spec.connection, deps.resolve);
    if (spec.target.kind === 'new_database') {
      const problem = nameProblem(spec.target.database);
      if (problem) throw new JobFailure({ code: 'target_not_allowed', message: `the new database's name ${problem}` });
    }
    creation = inPlace ? undefined : new DatabaseCreation(target, deps.password, database);
    const file = await checkedArtifactFile(spec.artifact, deps, work);
    const lockWaitTimeoutMs = spec.lockWaitTimeoutSeconds * 1000;
    let dropped: DroppedObjects | undefined;
    try {
      deps.signal.throwIfAborted();
      await creation?.done();
      if (inPlace) {
        // Checked again just before anything is overwritten: the pinned address still answers as the service's database.
        await checkRestoreTarget(target, deps.password);
        const drops = await objectsToDrop(target, deps.password, await tableOfContents(file, deps), spec.keep ?? []);
        await restoreInPlace(target, deps, { file, drops, lockWaitTimeoutMs });
        dropped = listed(drops);
      } else {
        await restoreFile(target, deps, { database, file, lockWaitTimeoutMs });
      }
    } finally {
      await file.close();
    }
    return { outcome: 'succeeded', database, ...(dropped ? { dropped } : {}) };
  } catch (error) {
    if (target && (await creation?.wasMade())) {
      await dropDatabase(target, deps.password, database).catch((dropError: unknown) => deps.logger.warn({ err: dropError }, 'could not drop the half-restored database'));
    }
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
