import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { agentProgress } from '../contracts/index.js';
import type { JobExit, JobLaunch, JobRunner, RunningJob } from './job-runner.js';

export interface LocalRunnerOptions {
  /** How to start the CLI: e.g. [process.execPath, '/app/dist/cli/main.js']; the job's args follow. */
  command: readonly string[];
  /** The only variables an agent inherits (PATH, HOME, locale): never the server's own secrets. */
  inheritedEnv: Readonly<Record<string, string>>;
  logger: Logger;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs?: number;
}

const stderrTailBytes = 8 * 1024;

/**
 * Runs each job as a child process of this one, in its own process group so that killing it
 * also kills the `pg_dump` it started. The agent watches its stdin and stops if this process
 * dies, so a crashed orchestrator leaves no job running unowned.
 */
export class LocalRunner implements JobRunner {
  readonly kind = 'local';

  constructor(private readonly options: LocalRunnerOptions) {}

  async launch(job: JobLaunch): Promise<RunningJob> {
    const [executable, ...prefix] = this.options.command;
    if (!executable) throw new Error('the local runner has no command to start the agent with');
    const child = spawn(executable, [...prefix, ...job.args], {
      env: { ...this.options.inheritedEnv, ...job.env, ...job.secretEnv, LIFEBOAT_AGENT_EXIT_WITH_PARENT: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const pid = child.pid!;
    const log = this.options.logger.child({ jobId: job.jobId, pid });

    let report: string | null = null;
    let stderrTail = '';
    let deadlineExceeded = false;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const progress = tryProgress(line);
      if (progress !== undefined) job.onProgress?.(progress);
      else if (line.trim() !== '') report = line;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-stderrTailBytes);
    });
    // The pipe exists only so the agent notices when we are gone; nothing is written to it.
    child.stdin.on('error', () => undefined);

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
        resolve({ exitCode, signal, report, stderrTail, deadlineExceeded });
      });
    });
    return { handle: `local:${hostname()}:${pid}`, exited, kill };
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

function tryProgress(line: string): number | undefined {
  if (!line.startsWith('{"progress"')) return undefined;
  try {
    const parsed = agentProgress.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data.progress.bytesWritten : undefined;
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
