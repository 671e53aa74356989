import pino from 'pino';
import type { z } from 'zod';
import { backupJobSpec, checkJobSpec, decodeMessage, restoreJobSpec, standbyAssignment, verifyJobSpec } from '../contracts/index.js';
import { openObjectStore } from '../storage/open-object-store.js';
import type { Engine, JobDependencies } from '../engines/engine.js';
import { openEngine } from '../engines/open-engine.js';
import { resolveWithin } from './pinned-target.js';

export interface AgentIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Registers a handler for SIGTERM/SIGINT and returns its removal (the CLI passes process signals). */
  onStopSignal?: (handler: () => void) => () => void;
}

/** Exit codes of `lifeboat agent backup|restore`: the report on stdout says more. */
export const agentExitCodes = { succeeded: 0, failed: 1, canceled: 3 } as const;

type Report = { outcome: 'succeeded' } | { outcome: 'failed'; failure: { code: string; message: string } } | { outcome: 'canceled' };

/** `lifeboat agent backup`: dump the database LIFEBOAT_JOB names into LIFEBOAT_STORAGE_URL. */
export function runAgentBackupCommand(env: Readonly<Record<string, string | undefined>>, io: AgentIo): Promise<number> {
  return runAgentJob(env, io, backupJobSpec, (engine, spec, deps) => engine.backup(spec, { ...deps, resolve: resolveWithin(spec.networkPolicy) }));
}

/** `lifeboat agent restore`: check an artifact's checksum, then restore it where LIFEBOAT_JOB says. */
export function runAgentRestoreCommand(env: Readonly<Record<string, string | undefined>>, io: AgentIo): Promise<number> {
  return runAgentJob(env, io, restoreJobSpec, (engine, spec, deps) => engine.restore(spec, { ...deps, resolve: resolveWithin(spec.networkPolicy) }));
}

/** `lifeboat agent verify`: a restore drill of the artifact LIFEBOAT_JOB names into a scratch database. */
export function runAgentVerifyCommand(env: Readonly<Record<string, string | undefined>>, io: AgentIo): Promise<number> {
  return runAgentJob(env, io, verifyJobSpec, (engine, spec, deps) => engine.verify(spec, deps));
}

/** `lifeboat agent check`: the backup's pre-flight alone, against the connection LIFEBOAT_JOB names. */
export function runAgentCheckCommand(env: Readonly<Record<string, string | undefined>>, io: AgentIo): Promise<number> {
  return runAgentJob(env, io, checkJobSpec, (engine, spec, deps) => engine.check(spec, { ...deps, resolve: resolveWithin(spec.networkPolicy) }));
}

/** Prints the report as the last line of standard output; returns the exit code that goes with it. */
function printReport(io: AgentIo, report: Report): number {
  io.stdout.write(`${JSON.stringify(report)}\n`);
  return agentExitCodes[report.outcome];
}

const invalidCommand = (message: string): Report => ({ outcome: 'failed', failure: { code: 'invalid_command', message } });

const standbyJobs = { backup: runAgentBackupCommand, restore: runAgentRestoreCommand, verify: runAgentVerifyCommand, check: runAgentCheckCommand };

/**
 * `lifeboat agent standby`: an agent started before it has a job, so that loading Node and the
 * agent's modules (about 0.35 s, a seventh of a small backup) is not on the job's clock. It
 * opens the object store LIFEBOAT_STORAGE_URL names once, loading that store's modules, and asks
 * pg_dump its version (a backup needs it), then waits for its job on stdin (a
 * `StandbyAssignment` line) and runs it exactly as `lifeboat agent backup|restore|verify` started
 * with that environment on top of its own would. If stdin closes first, the orchestrator is
 * gone: it exits without a report.
 */
export async function runStandbyAgent(env: Readonly<Record<string, string | undefined>>, io: AgentIo): Promise<number> {
  if (env.LIFEBOAT_STORAGE_URL) await openObjectStore(env.LIFEBOAT_STORAGE_URL).catch(() => undefined);
  // Most jobs are PostgreSQL backups: its tool's version is asked ahead; other engines ask when their job comes.
  (await openEngine('postgresql'))?.prepare?.(env);
  const line = await firstLine(io.stdin);
  if (line === undefined) return 0;
  const decoded = decodeMessage(standbyAssignment, line);
  if (!decoded.ok) {
    return printReport(io, invalidCommand(`the standby agent's job is invalid: ${decoded.problem}`));
  }
  const { args, env: jobEnv } = decoded.message;
  return standbyJobs[args[1]]({ ...env, ...jobEnv }, io);
}

const longestAssignment = 1024 * 1024;

/**
 * The first line of `stream`, or undefined if it ends (or runs past any sane length) first. The
 * stream is left paused, so its end is still seen by whoever listens next.
 */
function firstLine(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (line: string | undefined) => {
      stream.off('data', onData).off('end', onEnd).off('close', onEnd);
      stream.pause();
      resolve(line);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = Buffer.from(chunk);
      const end = bytes.indexOf(0x0a);
      chunks.push(end >= 0 ? bytes.subarray(0, end) : bytes);
      length += bytes.length;
      // A newline byte never occurs inside a multi-byte UTF-8 character, so this split is safe.
      if (end >= 0) finish(Buffer.concat(chunks).toString('utf8'));
      else if (length > longestAssignment) finish(undefined);
    };
    const onEnd = () => finish(undefined);
    stream.on('data', onData).on('end', onEnd).on('close', onEnd);
  });
}

/**
 * The harness every agent job runs in. Reads its job from LIFEBOAT_JOB, the password from
 * LIFEBOAT_DATABASE_PASSWORD and the storage from LIFEBOAT_STORAGE_URL; prints progress lines and, last, its
 * report as one JSON line on stdout; logs go to stderr. A stop signal, or its parent going away
 * (LIFEBOAT_AGENT_EXIT_WITH_PARENT=1: stdin closes), cancels the job cleanly.
 */
async function runAgentJob<Spec extends z.ZodType<{ engine: Engine['name'] }>>(
  env: Readonly<Record<string, string | undefined>>,
  io: AgentIo,
  schema: Spec,
  run: (engine: Engine, spec: z.infer<Spec>, deps: JobDependencies) => Promise<Report>,
): Promise<number> {
  const logger = pino({ level: env.LIFEBOAT_LOG_LEVEL ?? 'info', base: { role: 'agent' } }, io.stderr);
  const finish = (report: Report) => printReport(io, report);
  const invalid = (message: string) => printReport(io, invalidCommand(message));

  const decoded = decodeMessage(schema, env.LIFEBOAT_JOB ?? '');
  if (!decoded.ok) return invalid(`LIFEBOAT_JOB is missing or invalid: ${decoded.problem}`);
  if (!env.LIFEBOAT_STORAGE_URL) return invalid('LIFEBOAT_STORAGE_URL is not set');
  const engine = await openEngine(decoded.message.engine);
  if (!engine) return invalid(`this agent cannot run ${decoded.message.engine} jobs; run an agent of the control plane's version`);
  let store;
  try {
    store = await openObjectStore(env.LIFEBOAT_STORAGE_URL);
  } catch (error) {
    return invalid(`LIFEBOAT_STORAGE_URL is not usable: ${(error as Error).message}`);
  }

  const controller = new AbortController();
  const cancel = (why: string) => {
    if (controller.signal.aborted) return;
    logger.warn({ why }, 'canceling the job');
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
  const job = decoded.message as { jobId?: string };
  logger.info({ jobId: job.jobId }, 'job started');
  try {
    const report = await run(engine, decoded.message, {
      store,
      password: env.LIFEBOAT_DATABASE_PASSWORD,
      env,
      signal: controller.signal,
      logger,
      workDir: env.LIFEBOAT_WORK_DIR,
      onProgress: (progress) => {
        // Bytes at most once a second; a change of lock wait at once (it is rare, and the point is to see it).
        if (progress.lockWait === undefined && Date.now() - lastProgress < 1000) return;
        lastProgress = Date.now();
        io.stdout.write(`${JSON.stringify({ progress })}\n`);
      },
    });
    logger.info({ jobId: job.jobId, outcome: report.outcome }, 'job finished');
    return finish(report);
  } finally {
    removeSignalHandler?.();
    io.stdin.off('end', parentGone);
    io.stdin.off('close', parentGone);
    io.stdin.pause();
  }
}
