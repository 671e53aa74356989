import type { Logger } from 'pino';
import type {
  AgentProgress,
  AgentReport,
  BackupJobSpec,
  CheckJobSpec,
  CheckReport,
  Engine as EngineName,
  RestoreJobSpec,
  RestoreReport,
  ToolFound,
  VerifyJobSpec,
  VerifyReport,
} from '../contracts/index.js';
import type { ResolveAddress } from '../agent/pinned-target.js';
import type { ObjectStore } from '../storage/object-store.js';

/** What every job of every engine is given by the agent's harness (src/agent/command.ts). */
export interface JobDependencies {
  /** The password of the database the job connects to (LIFEBOAT_DATABASE_PASSWORD); the engine hands it to its tools, never in argv. */
  password: string | undefined;
  store: ObjectStore;
  /** PATH (where the engine's tools are found) and locale; nothing else reaches a tool. */
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  logger: Logger;
  /** Turns the service's host into the one address every connection of the job uses (and the network policy allows). */
  resolve?: ResolveAddress;
  /** A writable directory of the job's own (a Kubernetes emptyDir); the system temp dir when unset. */
  workDir: string | undefined;
  /** Bytes written so far, and lock waits as they change. */
  onProgress?: (progress: AgentProgress) => void;
}


/**
 * One database engine, as the agent runs it: each job kind end to end, with the engine's own
 * connection rules, tools, failure codes and artifact format inside its folder. What the control
 * plane knows of an engine (capabilities, aliases, default port) is its descriptor in
 * contracts/engines.ts. Every implementation passes src/engines/contract.test.ts.
 */
export interface Engine {
  readonly name: EngineName;
  /** Pre-flight, then the dump streamed through SHA-256 into storage with its manifest; nothing is left behind unless it succeeded. */
  backup(spec: BackupJobSpec, deps: JobDependencies): Promise<AgentReport>;
  /** The artifact checked against its record, then restored into a new database or over the service's. */
  restore(spec: RestoreJobSpec, deps: JobDependencies): Promise<RestoreReport>;
  /** A restore drill into a scratch database, compared with the backup's contents. */
  verify(spec: VerifyJobSpec, deps: JobDependencies): Promise<VerifyReport>;
  /** The backup's pre-flight alone (and, where the engine can, an in-place restore's plan). */
  check(spec: CheckJobSpec, deps: JobDependencies): Promise<CheckReport>;
  /** The versions of the tools its jobs run, as found on this PATH. */
  toolVersions(env: JobDependencies['env']): Promise<ToolFound[]>;
  /** Work a standby agent does before it has a job (asking the dump tool its version), so the job does not wait for it. */
  prepare?(env: JobDependencies['env']): void;
}
