import { randomBytes } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { type BackupCancelRequested, type BackupRequested, type CheckRequested, envelope, type Failure, type RestoreRequested, type VerifyRequested } from '../contracts/index.js';
import { enqueue } from '../outbox/outbox.js';
import type { CheckOutcome, JobOutcome, RestoreOutcome, VerifyOutcome } from './job-outcome.js';
import { orchestratorSchema, type OrchestratorTables } from './tables.js';

/** The orchestrator's job records: every state change and the event announcing it commit together. */
export type JobRow = Selectable<OrchestratorTables['jobs']>;
type Db = Kysely<OrchestratorTables>;

/** How a job ended: a backup's outcome or a restore's, by the job's kind. */
export type Outcome = JobOutcome | RestoreOutcome | VerifyOutcome | CheckOutcome;

export function newJobId(): string {
  return `job_${randomBytes(10).toString('hex')}`;
}

export type JobCommand = BackupRequested | RestoreRequested | VerifyRequested | CheckRequested;

/**
 * Records the job a command asks for: pending, or failed at once when `refusal` is given (the
 * kill switch). Returns false when the backup, restore or verification already has a job: a
 * duplicate delivery launches nothing.
 */
export async function recordJob(db: Db, command: JobCommand, refusal: Failure | null): Promise<boolean> {
  const identity = identityOf(command);
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('jobs')
      .values({
        id: newJobId(),
        kind: identity.kind,
        backup_id: identity.backup_id,
        restore_id: identity.restore_id,
        verification_id: identity.verification_id,
        check_id: identity.check_id,
        project_id: command.projectId,
        service_id: command.payload.serviceId,
        correlation_id: command.correlationId,
        status: refusal ? 'failed' : 'pending',
        command: JSON.stringify(command),
        owner: null,
        runner_handle: null,
        heartbeat_at: null,
        deadline_at: new Date(new Date(command.occurredAt).getTime() + command.payload.deadlineSeconds * 1000),
        started_at: null,
        finished_at: refusal ? new Date() : null,
        failure_code: refusal?.code ?? null,
        failure_message: refusal?.message ?? null,
      })
      .onConflict((conflict) => conflict.column(identity.unique).where('kind', '=', identity.kind).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted && refusal) await enqueue<OrchestratorTables>(trx, orchestratorSchema, terminalEvent(inserted, { status: 'failed', failure: refusal }));
    return inserted !== undefined;
  });
}

/** Which kind of job a command asks for, and the column that makes it one job however often it is delivered. */
function identityOf(command: JobCommand) {
  const none = { restore_id: null, verification_id: null, check_id: null };
  switch (command.type) {
    case 'backup.requested':
      return { ...none, kind: 'backup' as const, backup_id: command.payload.backupId, unique: 'backup_id' as const };
    case 'restore.requested':
      return { ...none, kind: 'restore' as const, backup_id: command.payload.backupId, restore_id: command.payload.restoreId, unique: 'restore_id' as const };
    case 'backup.verify_requested':
      return { ...none, kind: 'verify' as const, backup_id: command.payload.backupId, verification_id: command.payload.verificationId, unique: 'verification_id' as const };
    case 'check.requested':
      // A check makes and reads no backup: its backup_id is empty.
      return { ...none, kind: 'check' as const, backup_id: '', check_id: command.payload.checkId, unique: 'check_id' as const };
  }
}

export async function recordRunnerHandle(db: Db, jobId: string, handle: string): Promise<void> {
  await db.updateTable('jobs').set({ runner_handle: handle }).where('id', '=', jobId).execute();
}

/**
 * Moves a job to its terminal state and emits the matching event, once: returns false when the
 * job was no longer open (another path, such as the lost-job sweep, finished it first).
 */
export async function finishJob(db: Db, job: JobRow, outcome: Outcome): Promise<boolean> {
  return db.transaction().execute((trx) => finishInTransaction(trx, job, outcome));
}

/** `finishJob` inside a transaction the caller holds. */
export async function finishInTransaction(trx: Db, job: JobRow, outcome: Outcome): Promise<boolean> {
  const failure = outcome.status === 'failed' ? outcome.failure : null;
  const updated = await trx
    .updateTable('jobs')
    .set({ status: outcome.status, finished_at: sql<Date>`now()`, failure_code: failure?.code ?? null, failure_message: failure?.message ?? null })
    .where('id', '=', job.id)
    .where('status', 'in', ['pending', 'running'])
    .returningAll()
    .executeTakeFirst();
  if (!updated) return false;
  // A check may be of a registration that is never saved: its sealed password is kept no longer than the job needs it.
  if (updated.kind === 'check') await trx.updateTable('jobs').set({ command: sql<string>`command #- '{payload,sealedPassword}'` }).where('id', '=', updated.id).execute();
  await enqueue<OrchestratorTables>(trx, orchestratorSchema, terminalEvent(updated, outcome));
  return true;
}

/**
 * Handles a cancel for a backup: a pending job ends canceled at once; a running one is marked
 * for its owner to stop (returned so the caller can stop it now if it runs here); a backup with
 * no job yet gets a canceled tombstone, so its request, arriving later, launches nothing.
 */
export async function requestCancel(db: Db, command: BackupCancelRequested): Promise<{ running: JobRow | undefined }> {
  return db.transaction().execute(async (trx) => {
    const job = await trx.selectFrom('jobs').selectAll().where('kind', '=', 'backup').where('backup_id', '=', command.payload.backupId).forUpdate().executeTakeFirst();
    if (!job) {
      const tombstone = await trx
        .insertInto('jobs')
        .values({
          id: newJobId(),
          backup_id: command.payload.backupId,
          project_id: command.projectId,
          service_id: command.payload.serviceId,
          correlation_id: command.correlationId,
          status: 'canceled',
          command: JSON.stringify(command),
          owner: null,
          runner_handle: null,
          heartbeat_at: null,
          deadline_at: new Date(),
          started_at: null,
          finished_at: new Date(),
          failure_code: null,
          failure_message: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await enqueue<OrchestratorTables>(trx, orchestratorSchema, terminalEvent(tombstone, { status: 'canceled' }));
      return { running: undefined };
    }
    if (job.status === 'pending') {
      await finishInTransaction(trx, job, { status: 'canceled' });
      return { running: undefined };
    }
    if (job.status === 'running') {
      const marked = await trx.updateTable('jobs').set({ cancel_requested_at: sql<Date>`now()` }).where('id', '=', job.id).returningAll().executeTakeFirstOrThrow();
      return { running: marked };
    }
    return { running: undefined };
  });
}

/** This owner's running jobs that someone asked to cancel. */
export async function canceledJobsOf(db: Db, owner: string): Promise<JobRow[]> {
  return db.selectFrom('jobs').selectAll().where('status', '=', 'running').where('owner', '=', owner).where('cancel_requested_at', 'is not', null).execute();
}

/** Gives a job back to the queue (a stopping orchestrator that could not finish it). */
export async function handBackJob(db: Db, job: JobRow, owner: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'pending', owner: null, runner_handle: null, heartbeat_at: null })
    .where('id', '=', job.id)
    .where('status', '=', 'running')
    .where('owner', '=', owner)
    .execute();
}

export async function heartbeat(db: Db, owner: string): Promise<void> {
  await db.updateTable('jobs').set({ heartbeat_at: sql<Date>`now()` }).where('status', '=', 'running').where('owner', '=', owner).execute();
}

/** Running jobs of one owner. */
export async function runningJobsOf(db: Db, owner: string): Promise<JobRow[]> {
  return db.selectFrom('jobs').selectAll().where('status', '=', 'running').where('owner', '=', owner).execute();
}

/** Running jobs of other owners: candidates for the lost-job sweep. */
export async function runningJobsOfOthers(db: Db, owner: string): Promise<JobRow[]> {
  return db.selectFrom('jobs').selectAll().where('status', '=', 'running').where('owner', '!=', owner).execute();
}

/** Announces that a job started; a restore drill's start is not announced, only its verdict. */
export function startedEvent(job: JobRow) {
  const fields = { correlationId: job.correlation_id, projectId: job.project_id };
  const started = { jobId: job.id, attempt: job.attempt, startedAt: (job.started_at ?? new Date()).toISOString() };
  switch (job.kind) {
    case 'restore':
      return envelope('restore.started', fields, { restoreId: job.restore_id ?? '', ...started });
    case 'verify':
    case 'check':
      return undefined;
    case 'backup':
      return envelope('backup.started', fields, { backupId: job.backup_id, ...started });
  }
}

/** The event that announces how a job ended, by its kind. */
export function terminalEvent(job: JobRow, outcome: Outcome) {
  const fields = { correlationId: job.correlation_id, projectId: job.project_id };
  const finishedAt = (job.finished_at ?? new Date()).toISOString();
  if (job.kind === 'check') {
    const checkId = job.check_id ?? '';
    if (outcome.status === 'succeeded' && 'warnings' in outcome) {
      return envelope('check.succeeded', fields, { checkId, serverVersion: outcome.serverVersion, toolVersion: outcome.toolVersion, warnings: outcome.warnings, ...(outcome.drops ? { drops: outcome.drops } : {}), checkedAt: finishedAt });
    }
    const failure = outcome.status === 'failed' ? outcome.failure : { code: 'job_lost' as const, message: 'the connection check was stopped before it finished; run it again' };
    return envelope('check.failed', fields, { checkId, failure, checkedAt: finishedAt });
  }
  if (job.kind === 'verify') {
    // A drill that could not run is a failed drill: the backup's restorability is unproven.
    const verification =
      outcome.status === 'succeeded' && 'verification' in outcome
        ? outcome.verification
        : {
            status: 'failed' as const,
            checkedAt: finishedAt,
            details: { tables: [], problems: [outcome.status === 'failed' ? outcome.failure.message : 'the restore drill was stopped before it finished'] },
          };
    return envelope('backup.verified', fields, { verificationId: job.verification_id ?? '', backupId: job.backup_id, verification });
  }
  if (job.kind === 'restore') {
    const restoreId = job.restore_id ?? '';
    const startedAt = job.started_at?.toISOString() ?? null;
    switch (outcome.status) {
      case 'succeeded':
        return envelope('restore.succeeded', fields, {
          restoreId,
          database: 'database' in outcome ? outcome.database : '',
          ...('dropped' in outcome && outcome.dropped ? { dropped: outcome.dropped } : {}),
          startedAt: startedAt ?? finishedAt,
          finishedAt,
        });
      case 'failed':
        return envelope('restore.failed', fields, { restoreId, failure: outcome.failure, startedAt, finishedAt });
      case 'canceled':
        return envelope('restore.failed', fields, { restoreId, failure: { code: 'job_lost' as const, message: 'the restore was stopped before it finished' }, startedAt, finishedAt });
    }
  }
  switch (outcome.status) {
    case 'succeeded':
      if (!('artifact' in outcome)) throw new Error(`job ${job.id} is a backup job but ended with a restore outcome`);
      return envelope('backup.succeeded', fields, {
        backupId: job.backup_id,
        artifact: outcome.artifact,
        serverVersion: outcome.serverVersion,
        toolVersion: outcome.toolVersion,
        ...(outcome.contents ? { contents: outcome.contents } : {}),
        startedAt: (job.started_at ?? job.created_at).toISOString(),
        finishedAt,
      });
    case 'failed':
      return envelope('backup.failed', fields, {
        backupId: job.backup_id,
        failure: outcome.failure,
        startedAt: job.started_at?.toISOString() ?? null,
        finishedAt,
      });
    case 'canceled':
      return envelope('backup.canceled', fields, { backupId: job.backup_id, finishedAt });
  }
}
