import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { agentProgress, type AgentProgress, type StandbyAssignment, standbyAssignment } from '../contracts/index.js';
import type { JobExit, JobLaunch, JobRunner, RunningJob } from './job-runner.js';

export interface LocalRunnerOptions {
  /** How to start the CLI: e.g. [process.execPath, '/app/dist/cli/main.js']; `agent standby` follows. */
  command: readonly string[];
  /** The only variables an agent inherits (PATH, HOME, locale): never the server's own secrets. */
  inheritedEnv: Readonly<Record<string, string>>;
  logger: Logger;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /**
   * Keep one agent started ahead of the next job, its modules and those of the store this URL
   * names loaded (`lifeboat agent standby`): a job then starts about 0.35 s sooner. Unset: each
   * agent is started when its job is launched.
   */
  standby?: { storageUrl: string };
}

/** An agent process started with `agent standby`, waiting for its job on stdin. */
interface StartedAgent {
  child: ChildProcessWithoutNullStreams;
  spawned: Promise<void>;
  gone: boolean;
  assigned: boolean;
  stderrTail: string;
}

const stderrTailBytes = 8 * 1024;
const spareDelayAfterJobMs = 300;

/**
 * Runs each job as a child process of this one, in its own process group so that killing it
 * also kills the `pg_dump` it started. Every agent is started as `lifeboat agent standby` and
 * given its job, secrets included, as one line on its stdin, never in argv or its environment;
 * with `standby` set, the next one is started before its job exists. The agent watches its
 * stdin and stops if this process dies, so a crashed orchestrator leaves no job running unowned.
 */
export class LocalRunner implements JobRunner {
  readonly kind = 'local';
  private spare: StartedAgent | undefined;
  private spareTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: LocalRunnerOptions) {}

  /** Starts the standby agent, if the runner keeps one. */
  start(): void {
    this.stopped = false;
    this.keepSpareReady();
  }

  /** Stops the standby agent; running jobs are the launcher's to stop. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.spareTimer);
    const spare = this.spare;
    this.spare = undefined;
    if (!spare) return;
    await spare.spawned.catch(() => undefined);
    if (spare.gone) return;
    const exited = once(spare.child, 'close');
    spare.child.stdin.end();
    signalGroup(spare.child.pid!, 'SIGTERM');
    await exited;
  }

  async launch(job: JobLaunch): Promise<RunningJob> {
    let agent = this.spare;
    this.spare = undefined;
    if (!agent || agent.gone) agent = this.startAgent();
    await agent.spawned;
    const assignment: StandbyAssignment = standbyAssignment.parse({ args: job.args, env: { ...job.env, ...job.secretEnv } });
    const child = agent.child;
    agent.assigned = true;
    child.stdin.write(`${JSON.stringify(assignment)}\n`);
    const pid = child.pid!;
    const log = this.options.logger.child({ jobId: job.jobId, pid });

    let report: string | null = null;
    let deadlineExceeded = false;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const progress = tryProgress(line);
      if (progress !== undefined) job.onProgress?.(progress);
      else if (line.trim() !== '') report = line;
    });

    const kill = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(pid, 'SIGTERM');
      const force = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.options.killGraceMs ?? 10_000);
      await exited.catch(() => undefined);
      clearTimeout(force);
    };
    const deadline = setTimeout(() => {
      deadlineExceeded = true;
      log.warn('job passed its deadline; killing it');
      void kill();
    }, job.deadlineMs);

    const exited = new Promise<JobExit>((resolve) => {
      child.once('close', (exitCode, signal) => {
        clearTimeout(deadline);
        // Whatever it started must not outlive it.
        signalGroup(pid, 'SIGKILL');
        // The next standby starts only now, and a moment later: loading it beside the job would
        // slow the job down, and beside the job's end being recorded and announced (a tenth of a
        // second on `serve`) it made that end reach the API 70 ms later (BENCHMARKS.md).
        clearTimeout(this.spareTimer);
        this.spareTimer = setTimeout(() => this.keepSpareReady(), spareDelayAfterJobMs);
        resolve({ exitCode, signal, report, stderrTail: agent.stderrTail, deadlineExceeded });
      });
    });
    return { handle: `local:${hostname()}:${pid}`, exited, kill };
  }

  private keepSpareReady(): void {
    if (this.options.standby && !this.stopped && (!this.spare || this.spare.gone)) this.spare = this.startAgent();
  }

  private startAgent(): StartedAgent {
    const [executable, ...prefix] = this.options.command;
    if (!executable) throw new Error('the local runner has no command to start the agent with');
    const child = spawn(executable, [...prefix, 'agent', 'standby'], {
      env: { ...this.options.inheritedEnv, ...(this.options.standby ? { LIFEBOAT_STORAGE_URL: this.options.standby.storageUrl } : {}), LIFEBOAT_AGENT_EXIT_WITH_PARENT: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const agent: StartedAgent = {
      child,
      gone: false,
      assigned: false,
      stderrTail: '',
      spawned: new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      }),
    };
    agent.spawned.catch(() => undefined);
    child.once('exit', (exitCode, signal) => {
      agent.gone = true;
      // A standby that dies before its job would otherwise vanish unnoticed: the next job starts cold.
      if (!agent.assigned && !this.stopped) this.options.logger.warn({ exitCode, signal, stderr: agent.stderrTail.slice(-2000) }, 'a standby agent exited before it was given a job');
    });
    child.once('error', () => (agent.gone = true));
    // Its stdin carries only the job; after that it tells the agent whether we are still here.
    child.stdin.on('error', () => undefined);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      agent.stderrTail = (agent.stderrTail + chunk).slice(-stderrTailBytes);
    });
    return agent;
  }

  async isAlive(handle: string): Promise<boolean | undefined> {
    const [kind, host, pidText] = handle.split(':');
    if (kind !== 'local' || host !== hostname()) return undefined;
    try {
      process.kill(Number(pidText), 0);
      return true;
    } catch {
      return false;
    }
  }
}

function tryProgress(line: string): AgentProgress | undefined {
  if (!line.startsWith('{"progress"')) return undefined;
  try {
    const parsed = agentProgress.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data.progress : undefined;
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
