import { type Kysely, sql } from 'kysely';
import type { Failure } from '../contracts/index.js';
import { enqueue } from '../outbox/outbox.js';
import { chooseJobsToStart, type WaitingJob } from './fair-share.js';
import { finishInTransaction, type JobRow, startedEvent } from './jobs.js';
import { type JobKind, orchestratorSchema, type OrchestratorTables } from './tables.js';

type Db = Kysely<OrchestratorTables>;

/**
 * Claims are taken one at a time across every orchestrator replica, so that the running counts a
 * claim reads stay true until it commits: the per-project limit counts the jobs of all of them.
 * (Without it, only the order of the claim's reads and its oldest-first choice keep two claims
 * from starting a project's last slot twice.) A claim is a few short statements: replicas barely wait.
 */
const claimLock = 'lifeboat.orchestrator.claim-jobs';

export interface JobSlots {
  /** Slots this orchestrator has free. */
  free: number;
  /** Jobs one project may have running at once, across every orchestrator. */
  perProject: number;
}

/**
 * Claims pending jobs for `owner`, as many as it has free slots, chosen by the fair queue
 * (fair-share.ts), and announces that they started. Backups, restores and restore drills all
 * take slots.
 */
export async function claimPendingJobs(db: Db, owner: string, slots: JobSlots): Promise<JobRow[]> {
  if (slots.free <= 0) return [];
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${claimLock}))`.execute(trx);
    const line = await readWaitingLine(trx, slots.perProject);
    if (line.waiting.length === 0) return [];
    const chosen = chooseJobsToStart(line.waiting, {
      runningByProject: await countJobsByProject(trx, 'running'),
      lastStartedByProject: line.lastStartedByProject,
      freeSlots: slots.free,
      perProjectLimit: slots.perProject,
    });
    const claimed: JobRow[] = [];
    for (const job of chosen) {
      const row = await trx
        .updateTable('jobs')
        .set({ status: 'running', owner, attempt: sql<number>`attempt + 1`, started_at: sql<Date>`now()`, heartbeat_at: sql<Date>`now()` })
        .where('id', '=', job.id)
        // A cancel or the kill switch may have ended it since it was read.
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst();
      if (!row) continue;
      const started = startedEvent(row);
      if (started) await enqueue<OrchestratorTables>(trx, orchestratorSchema, started);
      claimed.push(row);
    }
    return claimed;
  });
}

/**
 * Ends waiting jobs that must not start: canceled ones, and those past their deadline (waiting
 * for a slot counts against it, invariant 3). Run on every pass, not only when a slot is free,
 * since a project at its limit may wait for longer than other projects' jobs run.
 */
export async function endUnstartableJobs(db: Db): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const unstartable = await trx
      .selectFrom('jobs')
      .selectAll()
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('deadline_at', '<=', sql<Date>`now()`), eb('cancel_requested_at', 'is not', null)]))
      .forUpdate()
      .skipLocked()
      .execute();
    for (const job of unstartable) {
      if (job.cancel_requested_at) await finishInTransaction(trx, job, { status: 'canceled' });
      else await finishInTransaction(trx, job, { status: 'failed', failure: { code: 'timeout', message: `the ${describeKind(job.kind)} waited for a free job slot past its deadline` } });
    }
    return unstartable.length;
  });
}

/** Fails every pending job with `failure` (the kill switch: no queued command launches). */
export async function refusePendingJobs(db: Db, failure: Failure): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const pending = await trx.selectFrom('jobs').selectAll().where('status', '=', 'pending').forUpdate().skipLocked().execute();
    for (const job of pending) await finishInTransaction(trx, job, { status: 'failed', failure });
    return pending.length;
  });
}

/** Jobs in `status`, by project (every orchestrator's). */
export async function countJobsByProject(db: Db, status: 'pending' | 'running'): Promise<Map<string, number>> {
  const rows = await db.selectFrom('jobs').select(['project_id', sql<number>`count(*)::int`.as('jobs')]).where('status', '=', status).groupBy('project_id').execute();
  return new Map(rows.map((row) => [row.project_id, Number(row.jobs)]));
}

/**
 * The startable waiting jobs, oldest first and at most `perProject` of each project (no more of
 * one project can start in one claim), with when each project last had a job started.
 */
async function readWaitingLine(trx: Db, perProject: number): Promise<{ waiting: WaitingJob[]; lastStartedByProject: Map<string, Date> }> {
  const rows = await trx
    .selectFrom((eb) =>
      eb
        .selectFrom('jobs')
        .select(['id', 'project_id', 'created_at', sql<number>`row_number() over (partition by project_id order by created_at, id)`.as('place')])
        .where('status', '=', 'pending')
        .where('deadline_at', '>', sql<Date>`now()`)
        .where('cancel_requested_at', 'is', null)
        .as('waiting'),
    )
    .select((eb) => [
      'waiting.id',
      'waiting.project_id',
      'waiting.created_at',
      // Served by the (project_id, started_at) index: one step back from its end.
      eb
        .selectFrom('jobs as served')
        .select((inner) => inner.fn.max('served.started_at').as('at'))
        .whereRef('served.project_id', '=', 'waiting.project_id')
        .as('last_started_at'),
    ])
    .where('waiting.place', '<=', perProject)
    .execute();
  const lastStartedByProject = new Map<string, Date>();
  for (const row of rows) if (row.last_started_at) lastStartedByProject.set(row.project_id, new Date(row.last_started_at));
  return { waiting: rows.map((row) => ({ id: row.id, projectId: row.project_id, enqueuedAt: new Date(row.created_at) })), lastStartedByProject };
}

function describeKind(kind: JobKind): string {
  switch (kind) {
    case 'backup':
      return 'backup';
    case 'restore':
      return 'restore';
    case 'verify':
      return 'restore drill';
    case 'check':
      return 'connection check';
  }
}
