import type { AgentProgress } from '../contracts/index.js';

/**
 * Job runner port: starts an agent somewhere (a child process here, a Kubernetes Job in
 * production), lets the orchestrator kill it, and hands back what it reported.
 */
export interface JobLaunch {
  jobId: string;
  /** Agent subcommand and arguments, e.g. ['agent', 'backup']. Never secrets. */
  args: readonly string[];
  /** Plain settings for the agent (LIFEBOAT_JOB, storage location). */
  env: Readonly<Record<string, string>>;
  /** Credentials; a runner passes them only through the environment, a pipe or a secret, never argv. */
  secretEnv: Readonly<Record<string, string>>;
  /** The runner kills the job after this long, whatever the orchestrator does. */
  deadlineMs: number;
  /** Called for each progress line the agent prints. */
  onProgress?: (progress: AgentProgress) => void;
}

export interface JobExit {
  /** Exit code, or null if the process was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  /** The agent's report line (JSON text), if it printed one. */
  report: string | null;
  /** The end of its diagnostic output, for failures the agent could not classify. */
  stderrTail: string;
  /** The runner killed it because `deadlineMs` passed. */
  deadlineExceeded: boolean;
}

export interface RunningJob {
  /** Where the job runs (pid, Job name); stored on the job record for reconciliation. */
  handle: string;
  exited: Promise<JobExit>;
  /** Asks the job to stop (SIGTERM), then forces it after a grace period. */
  kill(): Promise<void>;
}

export interface JobRunner {
  readonly kind: 'local' | 'kubernetes';
  /** Gets ready for launches (the local runner may start an agent ahead of its job); launch works without it. */
  start?(): void;
  /** Releases what `start` and launches keep ready; running jobs are not touched. */
  stop?(): Promise<void>;
  launch(job: JobLaunch): Promise<RunningJob>;
  /** Whether the job with this handle still runs; undefined when this runner cannot tell (another host). */
  isAlive(handle: string): Promise<boolean | undefined>;
}
