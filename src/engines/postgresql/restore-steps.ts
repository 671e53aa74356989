import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import type { DatabaseObject } from '../../contracts/index.js';
import type { ArtifactFile, StepDependencies } from '../../agent/artifact-file.js';
import { JobFailure } from '../../agent/job-failure.js';
import { stderrTail, toolExit } from './in-place-restore.js';
import { pgRestoreArgs } from './pg-restore.js';
import { type DroppableObject, objectsInDatabase, objectsNotInBackup, tableOfContentsEntries } from './restore-drops.js';
import { failureFromClientError, failureFromDumpOutput } from './failures.js';
import { checkIdentity, identityOf, libpqEnvironment, pgClientConfig } from './connection.js';
import type { PinnedTarget } from '../../agent/pinned-target.js';
import { toolEnv } from '../../agent/tool-env.js';

/** The PostgreSQL steps restores and restore drills share: make a database, run pg_restore. */

async function withClient<T>(target: PinnedTarget, password: string | undefined, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(pgClientConfig(target, password, 'lifeboat-restore'));
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new JobFailure(failureFromClientError(error, target), { cause: error });
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The in-place restore's pre-flight, right before pg_restore overwrites anything: the server at
 * the pinned address says it is the service's database and user (`target_mismatch` otherwise).
 */
export async function checkRestoreTarget(target: PinnedTarget, password: string | undefined): Promise<void> {
  await withClient(target, password, async (client) => checkIdentity(target, await identityOf(client)));
}

/** What an in-place restore drops: the objects of the target database its table of contents lacks, less `keep`. */
export async function objectsToDrop(target: PinnedTarget, password: string | undefined, tableOfContents: string, keep: readonly DatabaseObject[]): Promise<DroppableObject[]> {
  const inDatabase = await withClient(target, password, objectsInDatabase);
  return objectsNotInBackup(inDatabase, tableOfContentsEntries(tableOfContents), keep);
}

/** Creates a database; one that exists already is `target_exists`, never touched. */
export async function createDatabase(target: PinnedTarget, password: string | undefined, database: string): Promise<void> {
  await withClient(target, password, async (client) => {
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42P04') throw new JobFailure({ code: 'target_exists', message: `database "${database}" already exists on ${target.host}:${target.port}; choose a new name` });
      if (code === '42501') throw new JobFailure({ code: 'permission_denied', message: `user "${target.user}" may not create databases on ${target.host}:${target.port}; grant it CREATEDB or restore in place` });
      throw new JobFailure(failureFromClientError(error, target), { cause: error });
    }
  });
}

/**
 * A new database being made beside the artifact's download and check, which come first anyway:
 * CREATE DATABASE takes ~0.2 s, about a tenth of a small restore. The database is empty until
 * pg_restore runs, so if the check then fails it is dropped with nothing restored into it; and
 * one that existed already is never dropped (`target_exists`: it was not made here).
 */
export class DatabaseCreation {
  private readonly creating: Promise<void>;
  private made = false;

  constructor(target: PinnedTarget, password: string | undefined, database: string) {
    this.creating = createDatabase(target, password, database).then(() => {
      this.made = true;
    });
    // Awaited by `done` or `wasMade`; until then a failure must not count as unhandled.
    this.creating.catch(() => undefined);
  }

  /** Resolves once the database exists; rejects as `createDatabase` does. */
  done(): Promise<void> {
    return this.creating;
  }

  /** Whether this made the database, once the attempt has ended either way. */
  async wasMade(): Promise<boolean> {
    await this.creating.catch(() => undefined);
    return this.made;
  }
}

export async function dropDatabase(target: PinnedTarget, password: string | undefined, database: string): Promise<void> {
  await withClient(target, password, (client) => client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`));
}

export async function restoreFile(
  target: PinnedTarget,
  deps: StepDependencies,
  options: { database: string; file: ArtifactFile; lockWaitTimeoutMs?: number },
): Promise<void> {
  const jobs = Math.min(4, availableParallelism());
  const { file, lockWaitTimeoutMs, ...rest } = options;
  // pg_restore has no --lock-wait-timeout: the bound goes to its sessions as a server setting.
  const serverOptions = lockWaitTimeoutMs ? `-c lock_timeout=${lockWaitTimeoutMs}` : undefined;
  const child = spawn('pg_restore', pgRestoreArgs(target, { ...rest, file: file.path, jobs }), {
    env: { ...toolEnv(deps.env), ...libpqEnvironment({ password: deps.password, applicationName: 'lifeboat-restore', serverOptions }) },
    stdio: ['ignore', 'ignore', 'pipe', ...(file.inherited ? [file.inherited.fd] : [])],
  });
  const exited = toolExit(child, 'pg_restore');
  const stderr = stderrTail(child);
  const stop = () => child.kill('SIGTERM');
  deps.signal.addEventListener('abort', stop, { once: true });
  try {
    const [exitCode, signal] = await exited;
    if (deps.signal.aborted) throw new Error('canceled');
    if (exitCode !== 0) {
      throw new JobFailure(failureFromDumpOutput(stderr() || `pg_restore ${signal ? `was killed by ${signal}` : `exited with code ${exitCode}`}`, { ...target, database: options.database }, 'pg_restore'));
    }
  } finally {
    deps.signal.removeEventListener('abort', stop);
  }
}
