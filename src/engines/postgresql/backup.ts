import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { AgentProgress, AgentReport, BackupJobSpec, Failure } from '../../contracts/index.js';
import { type ObjectStore, StorageUnavailableError } from '../../storage/object-store.js';
import { JobFailure } from '../../agent/job-failure.js';
import { DigestStream } from '../../agent/digest-stream.js';
import { toolEnv } from '../../agent/tool-env.js';
import { parsePgDumpVersion, pgDumpArgs, type ToolVersion } from './pg-dump.js';
import { findStdbufAhead, pgDumpCommand } from './pg-dump-command.js';
import { failureFromClientError, failureFromDumpOutput } from './failures.js';
import { redact } from '../../agent/redact.js';
import { libpqEnvironment } from './connection.js';
import { type PinnedTarget, type ResolveAddress } from '../../agent/pinned-target.js';
import { runPreflight } from './preflight.js';
import { LockWatch } from './lock-waits.js';
import { endSessions, type SourceSession } from './source-session.js';
import { exclusionArgs } from './dump-exclusions.js';

export interface BackupDependencies {
  password: string | undefined;
  store: ObjectStore;
  /** PATH (where pg_dump is found) and locale for pg_dump; nothing else is passed on. */
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  /** Bytes written so far; with `lockWait` when the backup's lock wait changed (started, moved or ended). */
  onProgress?: (progress: AgentProgress) => void;
  logger: Logger;
  /** Turns the service's host into the one address every connection of the job uses (and the network policy allows). */
  resolve?: ResolveAddress;
}

const stderrTailBytes = 16 * 1024;

/**
 * One backup: check the server and the tool, stream `pg_dump --format=custom` through a
 * SHA-256 digest into object storage, write the manifest beside it, and report. Whatever does
 * not succeed leaves nothing in storage.
 */
export async function runBackup(spec: BackupJobSpec, deps: BackupDependencies): Promise<AgentReport> {
  const startedAt = new Date();
  const clean = (text: string) => redact(text, [deps.password]);
  let session: SourceSession | undefined;
  // Named after the backup, so that a cancel can find (and end) exactly this job's sessions.
  const applicationName = `lifeboat-backup ${spec.backupId}`;
  let endSessionsOnCancel: (() => void) | undefined;
  try {
    const lockWaitTimeoutMs = spec.lockWaitTimeoutSeconds * 1000;
    // The same pre-flight a connection check runs (preflight.ts): the two cannot disagree.
    const passed = await runPreflight({
      connection: spec.connection,
      password: deps.password,
      resolve: deps.resolve,
      lockWaitTimeoutMs,
      applicationName,
      toolVersion: () => pgDumpVersion(deps.env),
      backupSettings: spec.backupSettings,
      // A session waiting on a lock does not notice its client going away: a cancel ends it on the server.
      onPinned: (pinned) => {
        endSessionsOnCancel = () => void endSessions(pinned, deps.password, applicationName).catch((error: unknown) => deps.logger.warn({ err: error }, 'could not end the backup sessions'));
        deps.signal.addEventListener('abort', endSessionsOnCancel, { once: true });
      },
    });
    session = passed.session;
    const { target, server, tool, excluded } = passed;
    deps.signal.throwIfAborted();

    const snapshotId = await session.snapshot();
    const capturedAt = new Date().toISOString();
    const key = `${spec.artifactPrefix}backup.dump`;
    // Counted while pg_dump runs, in its snapshot: the counts add nothing to the backup's time.
    const [dumped, inventory] = await Promise.allSettled([dumpInto(spec, deps, { target, key, snapshot: snapshotId, lockWaitTimeoutMs, applicationName, excludeArgs: exclusionArgs(excluded, tool) }),
      session.inventory(excluded),
    ]);
    if (dumped.status === 'rejected') throw dumped.reason;
    if (inventory.status === 'rejected') throw new JobFailure(failureFromClientError(inventory.reason, target), { cause: inventory.reason });
    const { sizeBytes, sha256 } = dumped.value;
    const contents = { serverVersion: server.text, toolVersion: tool.text, capturedAt, ...inventory.value, excluded };
    // Closed while the manifest is written: the snapshot is no longer needed, and the close is a round trip.
    const closing = session.close();
    session = undefined;
    const manifestKey = `${spec.artifactPrefix}manifest.json`;
    const manifest = {
      formatVersion: 1,
      backupId: spec.backupId,
      projectId: spec.projectId,
      serviceId: spec.serviceId,
      engine: spec.engine,
      format: 'pg_dump-custom',
      artifact: { key, sizeBytes, sha256 },
      server: { version: server.text },
      tool: { name: 'pg_dump', version: tool.text },
      contents,
      // Said at the top too: a manifest read by hand must not hide that the dump is not the whole database.
      excluded,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    };
    await Promise.all([deps.store.put(manifestKey, Readable.from([JSON.stringify(manifest, null, 2)]), { contentType: 'application/json', signal: deps.signal }), closing]);
    return { outcome: 'succeeded', artifact: { key, manifestKey, sizeBytes, sha256 }, serverVersion: server.text, toolVersion: tool.text, contents };
  } catch (error) {
    await session?.close();
    await removeArtifacts(spec, deps);
    if (deps.signal.aborted) return { outcome: 'canceled' };
    const failure = failureOf(error);
    deps.logger.warn({ code: failure.code, err: error instanceof JobFailure ? undefined : clean(String(error)) }, 'backup failed');
    return { outcome: 'failed', failure: { code: failure.code, message: clean(failure.message) } };
  } finally {
    if (endSessionsOnCancel) deps.signal.removeEventListener('abort', endSessionsOnCancel);
  }
}

const askedVersions = new Map<string, Promise<ToolVersion>>();

/**
 * Asks `pg_dump --version` now and keeps the answer for the job to come: a standby agent does
 * this while it waits, which takes the question (tens of milliseconds, most of them Debian's
 * pg_wrapper) off the backup's clock. Kept per PATH, and only if it succeeded. Looks for the
 * `stdbuf` pg_dump is started through, too.
 */
export function askPgDumpVersionAhead(env: BackupDependencies['env']): void {
  pgDumpVersion(env).catch(() => undefined);
  findStdbufAhead(env.PATH ?? '');
}

export function pgDumpVersion(env: BackupDependencies['env']): Promise<ToolVersion> {
  const path = env.PATH ?? '';
  const asked = askedVersions.get(path);
  if (asked) return asked;
  const asking = askPgDumpVersion(env);
  askedVersions.set(path, asking);
  asking.catch(() => askedVersions.delete(path));
  return asking;
}

async function askPgDumpVersion(env: BackupDependencies['env']): Promise<ToolVersion> {
  try {
    const { stdout } = await promisify(execFile)('pg_dump', ['--version'], { env: toolEnv(env), timeout: 10_000 });
    const version = parsePgDumpVersion(stdout);
    if (!version) throw new JobFailure({ code: 'dump_failed', message: `pg_dump --version printed something unexpected: ${stdout.trim().slice(0, 200)}` });
    return version;
  } catch (error) {
    if (error instanceof JobFailure) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new JobFailure({ code: 'dump_tool_not_found', message: 'pg_dump is not installed where the backup job runs (not found on its PATH)' });
    }
    throw new JobFailure({ code: 'dump_failed', message: `pg_dump --version failed: ${(error as Error).message}` }, { cause: error });
  }
}

/** Streams pg_dump's output into storage. Throws a JobFailure if the dump or the upload fails. */
async function dumpInto(
  spec: BackupJobSpec,
  deps: BackupDependencies,
  dump: { target: PinnedTarget; key: string; snapshot: string; lockWaitTimeoutMs: number; applicationName: string; excludeArgs: string[] },
): Promise<{ sizeBytes: number; sha256: string }> {
  const { target, key } = dump;
  const command = await pgDumpCommand([...pgDumpArgs(target, { snapshot: dump.snapshot, lockWaitTimeoutMs: dump.lockWaitTimeoutMs }), ...dump.excludeArgs], deps.env.PATH ?? '');
  const child = spawn(command.file, command.args, {
    env: { ...toolEnv(deps.env), ...libpqEnvironment({ password: deps.password, applicationName: dump.applicationName }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-stderrTailBytes);
  });
  const stopDump = () => child.kill('SIGTERM');
  deps.signal.addEventListener('abort', stopDump, { once: true });

  let bytesWritten = 0;
  const digest = new DigestStream((bytes) => {
    bytesWritten = bytes;
    deps.onProgress?.({ bytesWritten });
  });
  // pg_dump (and the counting beside it) may wait on a lock a user's session holds: the live state says which.
  const lockWatch = new LockWatch({ target, password: deps.password, applicationName: dump.applicationName, onChange: (lockWait) => deps.onProgress?.({ bytesWritten, lockWait }) });
  child.stdout.pipe(digest);
  let uploadError: Error | undefined;
  try {
    await deps.store.put(key, digest, { contentType: 'application/octet-stream', signal: deps.signal });
  } catch (error) {
    uploadError = error instanceof Error ? error : new Error('the upload failed', { cause: error });
    child.kill('SIGKILL');
  } finally {
    deps.signal.removeEventListener('abort', stopDump);
    await lockWatch.stop();
  }
  const [exitCode, signal] = await exited;
  if (deps.signal.aborted) throw new Error('canceled');
  if (exitCode !== 0) {
    throw new JobFailure(failureFromDumpOutput(stderr || `pg_dump ${signal ? `was killed by ${signal}` : `exited with code ${exitCode}`}`, target));
  }
  if (uploadError) throw uploadError;
  return { sizeBytes: digest.bytes, sha256: digest.sha256() };
}

function failureOf(error: unknown): Failure {
  if (error instanceof JobFailure) return error.failure;
  if (error instanceof StorageUnavailableError) return { code: 'storage_unavailable', message: `could not write the backup to storage: ${error.message}` };
  return { code: 'dump_failed', message: `the backup failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` };
}

async function removeArtifacts(spec: BackupJobSpec, deps: BackupDependencies): Promise<void> {
  try {
    await deps.store.deletePrefix(spec.artifactPrefix);
  } catch (error) {
    deps.logger.warn({ err: error }, 'could not remove the unfinished backup from storage');
  }
}
