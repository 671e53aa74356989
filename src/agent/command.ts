import pino from 'pino';
import { type AgentReport, backupJobSpec, decodeMessage } from '../contracts/index.js';
import { openObjectStore } from '../storage/open-object-store.js';
import { runBackup } from './backup.js';

export interface AgentIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Registers a handler for SIGTERM/SIGINT and returns its removal (the CLI passes process signals). */
  onStopSignal?: (handler: () => void) => () => void;
}

/** Exit codes of `lifeboat agent backup`: the report on stdout says more. */
export const agentExitCodes = { succeeded: 0, failed: 1, canceled: 3 } as const;

/**
 * `lifeboat agent backup`: the job's entrypoint. Reads its job from LIFEBOAT_JOB, the password
 * from PGPASSWORD and the storage from LIFEBOAT_STORAGE_URL; prints progress lines and, last,
 * its report as one JSON line on stdout; logs go to stderr. A stop signal, or its parent going
 * away (LIFEBOAT_AGENT_EXIT_WITH_PARENT=1: stdin closes), cancels the backup cleanly.
 */
export async function runAgentBackupCommand(env: Readonly<Record<string, string | undefined>>, io: AgentIo): Promise<number> {
  const logger = pino({ level: env.LIFEBOAT_LOG_LEVEL ?? 'info', base: { role: 'agent' } }, io.stderr);
  const finish = (report: AgentReport): number => {
    io.stdout.write(`${JSON.stringify(report)}\n`);
    return agentExitCodes[report.outcome];
  };
  const invalid = (message: string) => finish({ outcome: 'failed', failure: { code: 'invalid_command', message } });

  const decoded = decodeMessage(backupJobSpec, env.LIFEBOAT_JOB ?? '');
  if (!decoded.ok) return invalid(`LIFEBOAT_JOB is missing or invalid: ${decoded.problem}`);
  if (!env.LIFEBOAT_STORAGE_URL) return invalid('LIFEBOAT_STORAGE_URL is not set');
  let store;
  try {
    store = openObjectStore(env.LIFEBOAT_STORAGE_URL);
  } catch (error) {
    return invalid(`LIFEBOAT_STORAGE_URL is not usable: ${(error as Error).message}`);
  }

  const controller = new AbortController();
  const cancel = (why: string) => {
    if (controller.signal.aborted) return;
    logger.warn({ why }, 'canceling the backup');
    controller.abort(new Error(why));
  };
  const removeSignalHandler = io.onStopSignal?.(() => cancel('stop signal'));
  const parentGone = () => cancel('the orchestrator that started this job is gone');
  if (env.LIFEBOAT_AGENT_EXIT_WITH_PARENT === '1') {
    io.stdin.on('end', parentGone);
    io.stdin.on('close', parentGone);
    io.stdin.resume();
  }

  let lastProgress = 0;
  const job = decoded.message;
  logger.info({ jobId: job.jobId, backupId: job.backupId }, 'backup started');
  try {
    const report = await runBackup(job, {
      password: env.PGPASSWORD,
      store,
      env,
      signal: controller.signal,
      logger,
      onProgress: (bytesWritten) => {
        if (Date.now() - lastProgress < 1000) return;
        lastProgress = Date.now();
        io.stdout.write(`${JSON.stringify({ progress: { bytesWritten } })}\n`);
      },
    });
    logger.info({ jobId: job.jobId, outcome: report.outcome }, 'backup finished');
    return finish(report);
  } finally {
    removeSignalHandler?.();
    io.stdin.off('end', parentGone);
    io.stdin.off('close', parentGone);
    io.stdin.pause();
  }
}
