import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Connection, Failure, RestoreJobSpec, RestoreReport } from '../contracts/index.js';
import { ObjectNotFoundError, type ObjectStore, StorageUnavailableError } from '../storage/object-store.js';
import { DigestStream } from './digest-stream.js';
import { toolEnv } from './tool-env.js';
import { JobFailure } from './job-failure.js';
import { pgRestoreArgs } from './pg-restore.js';
import { failureFromClientError, failureFromDumpOutput, redact } from './postgres-failures.js';

export interface RestoreDependencies {
  password: string | undefined;
  store: ObjectStore;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  logger: Logger;
  /** Where the artifact is downloaded (a Kubernetes emptyDir); the system temp dir by default. */
  workDir: string | undefined;
}

const stderrTailBytes = 16 * 1024;

/**
 * One restore. The artifact is downloaded to a file and its SHA-256 and size checked against
 * the backup's record before anything touches the target; then `pg_restore` runs into a new
 * database (created here, dropped again if the restore fails) or over the service's database
 * in one transaction.
 */
export async function runRestore(spec: RestoreJobSpec, deps: RestoreDependencies): Promise<RestoreReport> {
  const work = await mkdtemp(join(deps.workDir ?? tmpdir(), 'lifeboat-restore-'));
  const database = spec.target.kind === 'new_database' ? spec.target.database : spec.connection.database;
  let created = false;
  try {
    const file = join(work, 'backup.dump');
    await downloadVerified(spec, deps, file);
    deps.signal.throwIfAborted();
    if (spec.target.kind === 'new_database') {
      await createDatabase(spec.connection, deps.password, database);
      created = true;
    }
    await restoreFile(spec.connection, deps, { database, file, inPlace: spec.target.kind === 'in_place' });
    return { outcome: 'succeeded', database };
  } catch (error) {
    // A half-restored new database is worse than none.
    if (created) await dropDatabase(spec.connection, deps.password, database).catch((dropError: unknown) => deps.logger.warn({ err: dropError }, 'could not drop the half-restored database'));
    if (deps.signal.aborted) return { outcome: 'canceled' };
    const failure = failureOf(error);
    deps.logger.warn({ code: failure.code }, 'restore failed');
    return { outcome: 'failed', failure: { code: failure.code, message: redact(failure.message, [deps.password]) } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function downloadVerified(spec: RestoreJobSpec, deps: RestoreDependencies, file: string): Promise<void> {
  const digest = new DigestStream();
  try {
    await pipeline(await deps.store.get(spec.artifact.key), digest, createWriteStream(file, { mode: 0o600 }), { signal: deps.signal });
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      throw new JobFailure({ code: 'artifact_missing', message: `the backup's file ${spec.artifact.key} is not in storage; nothing was restored` });
    }
    throw error;
  }
  const sha256 = digest.sha256();
  if (sha256 !== spec.artifact.sha256 || digest.bytes !== spec.artifact.sizeBytes) {
    throw new JobFailure({
      code: 'checksum_mismatch',
      message: `the backup's file in storage does not match its record (SHA-256 ${sha256.slice(0, 12)}…, ${digest.bytes} bytes; recorded ${spec.artifact.sha256.slice(0, 12)}…, ${spec.artifact.sizeBytes} bytes): it was changed or damaged, so nothing was restored`,
    });
  }
}

async function withClient<T>(connection: Connection, password: string | undefined, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...clientSettings(connection), password, connectionTimeoutMillis: 10_000, application_name: 'lifeboat-restore' });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new JobFailure(failureFromClientError(error, connection), { cause: error });
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function clientSettings(connection: Connection) {
  return { host: connection.host, port: connection.port, database: connection.database, user: connection.user };
}

async function createDatabase(connection: Connection, password: string | undefined, database: string): Promise<void> {
  await withClient(connection, password, async (client) => {
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42P04') throw new JobFailure({ code: 'target_exists', message: `database "${database}" already exists on ${connection.host}:${connection.port}; choose a new name` });
      if (code === '42501') throw new JobFailure({ code: 'permission_denied', message: `user "${connection.user}" may not create databases on ${connection.host}:${connection.port}; grant it CREATEDB or restore in place` });
      throw new JobFailure(failureFromClientError(error, connection), { cause: error });
    }
  });
}

async function dropDatabase(connection: Connection, password: string | undefined, database: string): Promise<void> {
  await withClient(connection, password, (client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`));
}

async function restoreFile(connection: Connection, deps: RestoreDependencies, options: { database: string; file: string; inPlace: boolean }): Promise<void> {
  const jobs = Math.min(4, availableParallelism());
  const child = spawn('pg_restore', pgRestoreArgs(connection, { ...options, jobs }), {
    env: { ...toolEnv(deps.env), ...(deps.password ? { PGPASSWORD: deps.password } : {}), PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'lifeboat-restore' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = Promise.race([
    once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>,
    once(child, 'error').then(([error]: unknown[]) => {
      throw (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? new JobFailure({ code: 'restore_failed', message: 'pg_restore is not installed where the restore job runs (not found on its PATH)' })
        : (error as Error);
    }),
  ]);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-stderrTailBytes)));
  const stop = () => child.kill('SIGTERM');
  deps.signal.addEventListener('abort', stop, { once: true });
  try {
    const [exitCode, signal] = await exited;
    if (deps.signal.aborted) throw new Error('canceled');
    if (exitCode !== 0) {
      throw new JobFailure(failureFromDumpOutput(stderr || `pg_restore ${signal ? `was killed by ${signal}` : `exited with code ${exitCode}`}`, { ...connection, database: options.database }, 'pg_restore'));
    }
  } finally {
    deps.signal.removeEventListener('abort', stop);
  }
}

function failureOf(error: unknown): Failure {
  if (error instanceof JobFailure) return error.failure;
  if (error instanceof StorageUnavailableError) return { code: 'storage_unavailable', message: `could not read the backup from storage: ${error.message}` };
  return { code: 'restore_failed', message: `the restore failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` };
}
