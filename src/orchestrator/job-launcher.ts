import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { WakeSignal } from '../polling/wake-signal.js';
import { type AgentProgress, envelope } from '../contracts/index.js';
import { enqueue } from '../outbox/outbox.js';
import type { Metrics } from '../observability/metrics.js';
import type { JobRunner, RunningJob } from '../runner/job-runner.js';
import { isInstanceGone } from './instance.js';
import { type KillSwitchReading, killSwitchFailure } from './intake.js';
import { type JobKindDependencies, type PreparedJob, prepareJob } from './job-kinds.js';
import { claimPendingJobs, countJobsByProject, endUnstartableJobs, refusePendingJobs } from './job-queue.js';
import { canceledJobsOf, finishJob, handBackJob, heartbeat, type JobRow, type Outcome, recordRunnerHandle, runningJobsOf, runningJobsOfOthers } from './jobs.js';
import { orchestratorSchema, type OrchestratorTables } from './tables.js';

export interface JobLauncherOptions extends JobKindDependencies {
  db: Kysely<OrchestratorTables>;
  runner: JobRunner;
  logger: Logger;
  /** This process, as written on the jobs it owns. */
  owner: string;
  maxConcurrentJobs: number;
  /** Jobs one project may have running at once, across every orchestrator. */
  maxConcurrentJobsPerProject: number;
  killSwitch: () => Promise<KillSwitchReading>;
  pollIntervalMs?: number;
  heartbeatIntervalMs?: number;
  /** A running job whose owner has not heartbeated for this long is lost. */
  lostAfterMs?: number;
  /** How long a stopping launcher lets its jobs finish before handing them back. */
  shutdownGraceMs?: number;
  progressIntervalMs?: number;
  metrics?: Pick<Metrics, 'jobsRunning' | 'jobsFinished' | 'jobsWaiting' | 'longestProjectQueue'>;
}

interface ActiveJob {
  job: JobRow;
  process: RunningJob | undefined;
  handingBack: boolean;
  /** A user canceled it: whatever the agent says, unless it already succeeded, it ends canceled. */
  canceling: boolean;
  done: Promise<void>;
}

/**
 * Starts pending jobs through the runner, up to a number at a time, and sees each to a
 * terminal state: outcome from the agent's report, artifact checked in storage before success,
 * leftovers removed after anything else. It also heartbeats its jobs and fails other owners'
 * jobs whose owner is gone (`job_lost`).
 */
export class JobLauncher {
  private readonly active = new Map<string, ActiveJob>();
  private stopped = true;
  private loop: Promise<void> | undefined;
  private readonly wakeSignal = new WakeSignal();
  private housekeeping: NodeJS.Timeout | undefined;

  constructor(private readonly options: JobLauncherOptions) {}

  start(): void {
    this.stopped = false;
    this.options.runner.start?.();
    this.loop = this.run();
    this.housekeeping = setInterval(() => void this.keepHouse(), this.options.heartbeatIntervalMs ?? 5000);
    void this.keepHouse();
  }

  /** Looks for pending jobs now rather than at the next poll. */
  wake(): void {
    this.wakeSignal.notify();
  }

  /** Stops launching; lets running jobs finish within the grace period, then hands the rest back. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    clearInterval(this.housekeeping);
    const all = () => Promise.all([...this.active.values()].map((entry) => entry.done));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all(), new Promise((resolve) => (timer = setTimeout(resolve, this.options.shutdownGraceMs ?? 10_000)))]);
    clearTimeout(timer);
    for (const entry of this.active.values()) {
      entry.handingBack = true;
      await entry.process?.kill();
    }
    await all();
    await this.options.runner.stop?.();
  }

  get activeJobs(): number {
    return this.active.size;
  }

  /** Stops a job if it runs in this process; its owner elsewhere finds the cancel on its next housekeeping. */
  async stopIfRunningHere(jobId: string): Promise<void> {
    const entry = this.active.get(jobId);
    if (!entry || entry.canceling) return;
    entry.canceling = true;
    this.options.logger.info({ jobId, backupId: entry.job.backup_id }, 'canceling a running backup');
    await entry.process?.kill();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.launchPending();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'could not launch pending jobs; will retry');
      }
      if (this.stopped) break;
      await this.wakeSignal.sleep(this.options.pollIntervalMs ?? 1000);
    }
  }

  private async launchPending(): Promise<void> {
    const reading = await this.options.killSwitch();
    if (reading.engaged) {
      const refused = await refusePendingJobs(this.options.db, killSwitchFailure(reading));
      if (refused > 0) this.options.logger.warn({ refused }, 'kill switch engaged: failed queued backups instead of launching them');
      await this.countWaitingJobs();
      return;
    }
    await endUnstartableJobs(this.options.db);
    const jobs = await claimPendingJobs(this.options.db, this.options.owner, {
      free: this.options.maxConcurrentJobs - this.active.size,
      perProject: this.options.maxConcurrentJobsPerProject,
    });
    for (const job of jobs) {
      const entry: ActiveJob = { job, process: undefined, handingBack: false, canceling: false, done: Promise.resolve() };
      this.active.set(job.id, entry);
      this.options.metrics?.jobsRunning.set(this.active.size);
      entry.done = this.runJob(entry)
        .catch((error: unknown) => this.options.logger.error({ err: error, jobId: job.id, backupId: job.backup_id }, 'job handling failed'))
        .finally(() => {
          this.active.delete(job.id);
          this.options.metrics?.jobsRunning.set(this.active.size);
          this.wake();
        });
    }
    await this.countWaitingJobs();
  }

  /** Jobs waiting for a slot on every orchestrator, and the longest queue of one project: a flood shows. */
  private async countWaitingJobs(): Promise<void> {
    const metrics = this.options.metrics;
    if (!metrics) return;
    const waiting = [...(await countJobsByProject(this.options.db, 'pending')).values()];
    metrics.jobsWaiting.set(waiting.reduce((sum, jobs) => sum + jobs, 0));
    metrics.longestProjectQueue.set(Math.max(0, ...waiting));
  }

  private async runJob(entry: ActiveJob): Promise<void> {
    const { job } = entry;
    const log = this.options.logger.child({ jobId: job.id, kind: job.kind, backupId: job.backup_id, restoreId: job.restore_id ?? undefined });
    const prepared = prepareJob(job, this.options);
    if ('failure' in prepared) {
      log.error({ code: prepared.failure.code }, 'job cannot start');
      await this.finish(job, { status: 'failed', failure: prepared.failure });
      return;
    }
    try {
      entry.process = await this.options.runner.launch({
        jobId: job.id,
        args: prepared.args,
        env: prepared.env,
        secretEnv: prepared.secretEnv,
        deadlineMs: Math.max(1000, job.deadline_at.getTime() - Date.now()),
        onProgress: job.kind === 'backup' ? this.progressReporter(job) : undefined,
      });
    } catch (error) {
      log.error({ err: error }, 'could not start the agent');
      await this.finish(job, { status: 'failed', failure: { code: 'agent_crashed', message: `the ${prepared.what} agent could not be started: ${(error as Error).message}` } });
      return;
    }
    log.info({ handle: entry.process.handle }, 'job started');
    // A cancel that arrived while the agent was starting.
    if (entry.canceling) void entry.process.kill();
    await this.persistently(`record where job ${job.id} runs`, () => recordRunnerHandle(this.options.db, job.id, entry.process!.handle));
    const exit = await entry.process.exited;

    if (entry.handingBack) {
      await this.cleanUp(prepared, log);
      await this.persistently(`hand back job ${job.id}`, () => handBackJob(this.options.db, job, this.options.owner));
      log.info('job handed back for another orchestrator to run');
      return;
    }
    let outcome = await prepared.conclude(exit);
    if (entry.canceling && outcome.status !== 'succeeded') outcome = { status: 'canceled' };
    // Invariant 5: whatever did not succeed leaves nothing behind.
    if (outcome.status !== 'succeeded') await this.cleanUp(prepared, log);
    await this.finish(job, outcome);
    log.info({ status: outcome.status, failure: outcome.status === 'failed' ? outcome.failure.code : undefined }, 'job finished');
  }

  /**
   * Records how a job ended. The outcome is known only here, so a database that is briefly away
   * (restarting, failing over) is waited for rather than letting the job stay `running` forever.
   */
  private async finish(job: JobRow, outcome: Outcome): Promise<void> {
    const finished = await this.persistently(`record the outcome of job ${job.id}`, () => finishJob(this.options.db, job, outcome));
    if (finished) this.options.metrics?.jobsFinished.inc({ status: outcome.status, code: outcome.status === 'failed' ? outcome.failure.code : '' });
    if (!finished) this.options.logger.warn({ jobId: job.id }, 'job was already finished elsewhere; outcome not recorded');
  }

  /** Retries a database step with back-off until it succeeds (a stopping launcher gives up after its grace). */
  private async persistently<T>(what: string, step: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (attempt >= 60) throw error;
        this.options.logger.warn({ err: error, attempt }, `could not ${what}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  private async cleanUp(prepared: PreparedJob, log: Logger): Promise<void> {
    try {
      await prepared.cleanUp();
    } catch (error) {
      log.warn({ err: error }, 'could not remove what the job left in storage; the orphan sweep will');
    }
  }

  /** Announces bytes written every few seconds, and a change of lock wait at once, for the backup's live state. */
  private progressReporter(job: JobRow): (progress: AgentProgress) => void {
    let last = 0;
    return ({ bytesWritten, lockWait }) => {
      if (lockWait === undefined && Date.now() - last < (this.options.progressIntervalMs ?? 5000)) return;
      last = Date.now();
      void this.options.db
        .transaction()
        .execute((trx) =>
          enqueue<OrchestratorTables>(trx, orchestratorSchema, envelope('backup.progress', { correlationId: job.correlation_id, projectId: job.project_id }, { backupId: job.backup_id, bytesWritten, ...(lockWait === undefined ? {} : { lockWait }) })),
        )
        .catch((error: unknown) => this.options.logger.debug({ err: error }, 'progress not recorded'));
    };
  }

  private async keepHouse(): Promise<void> {
    try {
      await heartbeat(this.options.db, this.options.owner);
      for (const job of await canceledJobsOf(this.options.db, this.options.owner)) void this.stopIfRunningHere(job.id);
      await this.failLostJobs();
      await this.failUntrackedJobs();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'job housekeeping failed; will retry');
    }
  }

  /**
   * A safety net: a job recorded as running here that this process no longer tracks (its
   * handling failed midway) would otherwise heartbeat forever; past its deadline it is failed.
   */
  private async failUntrackedJobs(): Promise<void> {
    for (const job of await runningJobsOf(this.options.db, this.options.owner)) {
      if (this.active.has(job.id) || job.deadline_at.getTime() > Date.now() - 5000) continue;
      const prepared = prepareJob(job, this.options);
      if (!('failure' in prepared)) await this.cleanUp(prepared, this.options.logger);
      await this.finish(job, { status: 'failed', failure: { code: 'job_lost', message: `this ${job.kind} lost track of its job and passed its deadline; request it again` } });
    }
  }

  /** Jobs whose owner is gone (its process is dead, or it stopped heartbeating) can never finish: fail them. */
  private async failLostJobs(): Promise<void> {
    const lostAfterMs = this.options.lostAfterMs ?? 30_000;
    for (const job of await runningJobsOfOthers(this.options.db, this.options.owner)) {
      const gone = job.owner ? isInstanceGone(job.owner) : true;
      const stale = (job.heartbeat_at?.getTime() ?? 0) < Date.now() - lostAfterMs;
      if (gone === false || (gone === undefined && !stale)) continue;
      const prepared = prepareJob(job, this.options);
      if (!('failure' in prepared)) await this.cleanUp(prepared, this.options.logger);
      await this.finish(job, {
        status: 'failed',
        failure: { code: 'job_lost', message: `the orchestrator running this ${job.kind} stopped before it finished (was it restarted?); request it again` },
      });
      this.options.logger.warn({ jobId: job.id, backupId: job.backup_id, owner: job.owner }, 'failed a job whose orchestrator is gone');
    }
  }
}
