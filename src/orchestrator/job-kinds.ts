import { artifactPrefixOf, engineDescriptors, type Engine, backupRequested, checkRequested, type CheckJobSpec, connectionProblems, type BackupJobSpec, type Connection, type Failure, restoreRequested, type RestoreJobSpec, verifyRequested, type VerifyJobSpec } from '../contracts/index.js';
import type { NetworkPolicy } from '../contracts/network-policy.js';
import type { JobExit } from '../runner/job-runner.js';
import { unseal } from '../secrets/sealed-box.js';
import type { ObjectStore } from '../storage/object-store.js';
import { checkOutcomeOfExit, outcomeOfExit, restoreOutcomeOfExit, verifyArtifact, verifyOutcomeOfExit } from './job-outcome.js';
import type { JobRow, Outcome } from './jobs.js';

/** What the launcher needs to run a job of any kind, and to conclude it. */
export interface PreparedJob {
  what: 'backup' | 'restore' | 'restore drill' | 'connection check';
  args: string[];
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  /** Turns how the agent ended into the job's outcome (a backup's is checked against storage). */
  conclude(exit: JobExit): Promise<Outcome>;
  /** Removes what a job that did not succeed left in storage. */
  cleanUp(): Promise<void>;
}

export interface JobKindDependencies {
  credentialsKey: Buffer;
  storageUrl: string;
  store: ObjectStore;
  /** Where restore drills create their scratch databases, per engine (LIFEBOAT_VERIFY_DATABASE_URL, LIFEBOAT_VERIFY_MARIADB_URL). */
  verificationServers: VerificationServers;
  /** How long a job waits for a lock on a service's database (LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS); 300 unset. */
  lockWaitTimeoutSeconds?: number;
  /** Where services may live (LIFEBOAT_SERVICE_NETWORKS and the role's defaults); the agent checks the address it connects to. Unset: anywhere. */
  networkPolicy?: NetworkPolicy;
}

const defaultLockWaitTimeoutSeconds = 300;

/**
 * A command whose connection the shared rule refuses (one recorded before the rule existed, or
 * forged on the bus) never becomes a job: it fails with `target_not_allowed`, visibly.
 */
function refusedConnection(connection: Connection): { failure: Failure } | undefined {
  const problems = connectionProblems(connection);
  if (problems.length === 0) return undefined;
  return { failure: { code: 'target_not_allowed', message: `the service's connection is not allowed (${problems.join('; ')}); register the service again with plain values` } };
}

export type VerificationServers = Partial<Record<Engine, VerificationServer>>;

export interface VerificationServer {
  connection: Connection;
  password: string | undefined;
}

/** The agent invocation for a recorded job, or the failure that stops it before it starts. */
export function prepareJob(job: JobRow, deps: JobKindDependencies): PreparedJob | { failure: Failure } {
  try {
    switch (job.kind) {
      case 'backup':
        return prepareBackup(job, deps);
      case 'restore':
        return prepareRestore(job, deps);
      case 'verify':
        return prepareVerify(job, deps);
      case 'check':
        return prepareCheck(job, deps);
    }
  } catch (error) {
    // A recorded command this version cannot read ends its job visibly instead of leaving it pending.
    return { failure: { code: 'invalid_command', message: `the ${job.kind} command cannot be read: ${(error as Error).message.slice(0, 300)}` } };
  }
}

/** The agent's secret environment: the service password, opened here and passed only as LIFEBOAT_DATABASE_PASSWORD (each engine hands it to its tools its own way, never in argv). */
function openPassword(deps: JobKindDependencies, sealed: string, serviceId: string): { env: Record<string, string> } | { failure: Failure } {
  try {
    const password = unseal(deps.credentialsKey, sealed, serviceId);
    return { env: password === '' ? {} : { LIFEBOAT_DATABASE_PASSWORD: password } };
  } catch {
    return { failure: { code: 'invalid_command', message: 'the service password could not be decrypted; was LIFEBOAT_SECRET_KEY changed since the service was registered?' } };
  }
}

function prepareBackup(job: JobRow, deps: JobKindDependencies): PreparedJob | { failure: Failure } {
  const command = backupRequested.parse(job.command);
  const refused = refusedConnection(command.payload.connection);
  if (refused) return refused;
  const password = openPassword(deps, command.payload.sealedPassword, command.payload.serviceId);
  if ('failure' in password) return password;
  const artifactPrefix = artifactPrefixOf({ projectId: job.project_id, serviceId: job.service_id, backupId: job.backup_id });
  const spec: BackupJobSpec = {
    kind: 'backup',
    jobId: job.id,
    backupId: job.backup_id,
    projectId: job.project_id,
    serviceId: job.service_id,
    engine: command.payload.engine,
    connection: command.payload.connection,
    artifactPrefix,
    lockWaitTimeoutSeconds: deps.lockWaitTimeoutSeconds ?? defaultLockWaitTimeoutSeconds,
    networkPolicy: deps.networkPolicy,
    backupSettings: command.payload.backupSettings,
  };
  return {
    what: 'backup',
    args: ['agent', 'backup'],
    env: { LIFEBOAT_JOB: JSON.stringify(spec), LIFEBOAT_STORAGE_URL: deps.storageUrl },
    secretEnv: password.env,
    async conclude(exit) {
      const outcome = outcomeOfExit(exit, command.payload.deadlineSeconds);
      if (outcome.status !== 'succeeded') return outcome;
      // Invariant 2: success only once storage confirms the artifact the agent reported.
      let stored;
      try {
        stored = await deps.store.head(outcome.artifact.key);
      } catch (error) {
        return { status: 'failed', failure: { code: 'storage_unavailable', message: `could not confirm the backup in storage: ${(error as Error).message}` } };
      }
      const failure = verifyArtifact(outcome.artifact, stored);
      return failure ? { status: 'failed', failure } : outcome;
    },
    cleanUp: async () => {
      await deps.store.deletePrefix(artifactPrefix);
    },
  };
}

function prepareRestore(job: JobRow, deps: JobKindDependencies): PreparedJob | { failure: Failure } {
  const command = restoreRequested.parse(job.command);
  const refused = refusedConnection(command.payload.connection);
  if (refused) return refused;
  const password = openPassword(deps, command.payload.sealedPassword, command.payload.serviceId);
  if ('failure' in password) return password;
  const spec: RestoreJobSpec = {
    kind: 'restore',
    jobId: job.id,
    restoreId: command.payload.restoreId,
    engine: command.payload.engine,
    connection: command.payload.connection,
    artifact: command.payload.artifact,
    target: command.payload.target,
    ...(command.payload.keep ? { keep: command.payload.keep } : {}),
    lockWaitTimeoutSeconds: deps.lockWaitTimeoutSeconds ?? defaultLockWaitTimeoutSeconds,
    networkPolicy: deps.networkPolicy,
  };
  return {
    what: 'restore',
    args: ['agent', 'restore'],
    env: { LIFEBOAT_JOB: JSON.stringify(spec), LIFEBOAT_STORAGE_URL: deps.storageUrl },
    secretEnv: password.env,
    conclude: async (exit) => restoreOutcomeOfExit(exit, command.payload.deadlineSeconds),
    // A restore writes nothing to storage; the agent drops a half-restored database itself.
    cleanUp: async () => undefined,
  };
}

function prepareVerify(job: JobRow, deps: JobKindDependencies): PreparedJob | { failure: Failure } {
  const command = verifyRequested.parse(job.command);
  const { engine } = command.payload;
  const server = deps.verificationServers[engine];
  if (!server) {
    return { failure: { code: 'invalid_command', message: `no verification server is configured for ${engineDescriptors[engine].label} restore drills (set ${engineDescriptors[engine].verificationServerSetting})` } };
  }
  const spec: VerifyJobSpec = { kind: 'verify', jobId: job.id, verificationId: command.payload.verificationId, engine, artifact: command.payload.artifact, scratch: server.connection };
  return {
    what: 'restore drill',
    args: ['agent', 'verify'],
    env: { LIFEBOAT_JOB: JSON.stringify(spec), LIFEBOAT_STORAGE_URL: deps.storageUrl },
    secretEnv: server.password ? { LIFEBOAT_DATABASE_PASSWORD: server.password } : {},
    conclude: async (exit) => verifyOutcomeOfExit(exit, command.payload.deadlineSeconds),
    // The agent drops its scratch database itself; storage is only read.
    cleanUp: async () => undefined,
  };
}

function prepareCheck(job: JobRow, deps: JobKindDependencies): PreparedJob | { failure: Failure } {
  const command = checkRequested.parse(job.command);
  const refused = refusedConnection(command.payload.connection);
  if (refused) return refused;
  const password = openPassword(deps, command.payload.sealedPassword, command.payload.serviceId);
  if ('failure' in password) return password;
  const spec: CheckJobSpec = {
    kind: 'check',
    jobId: job.id,
    checkId: command.payload.checkId,
    engine: command.payload.engine,
    connection: command.payload.connection,
    lockWaitTimeoutSeconds: deps.lockWaitTimeoutSeconds ?? defaultLockWaitTimeoutSeconds,
    networkPolicy: deps.networkPolicy,
    backupSettings: command.payload.backupSettings,
    ...(command.payload.restorePlan ? { restorePlan: command.payload.restorePlan } : {}),
  };
  return {
    what: 'connection check',
    args: ['agent', 'check'],
    // The agent's harness opens the store for every job kind; a check writes nothing to it.
    env: { LIFEBOAT_JOB: JSON.stringify(spec), LIFEBOAT_STORAGE_URL: deps.storageUrl },
    secretEnv: password.env,
    conclude: async (exit) => checkOutcomeOfExit(exit, command.payload.deadlineSeconds),
    cleanUp: async () => undefined,
  };
}
