/** The API's shapes as the dashboard reads them (see the OpenAPI document at /openapi.json). */
export interface Failure {
  code: string;
  message: string;
}

export interface Backup {
  id: string;
  serviceId: string;
  projectId: string;
  status: 'requested' | 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'expired' | 'deleted';
  trigger: string;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  sizeBytes: number | null;
  sha256: string | null;
  /** Agrees with the retention preview; in the past when `expiring`. */
  expiresAt: string | null;
  /** The policy would expire it now: the next retention sweep does. */
  expiring: boolean;
  failure: Failure | null;
  verification: { status: 'pending' | 'passed' | 'failed'; checkedAt?: string; details?: { problems: string[] } } | null;
  bytesWritten: number | null;
  /** What a running backup waits on; null when it waits on nothing. */
  lockWait: { relation: string | null; mode: string; heldBy: number | null; since: string; message: string } | null;
}

export interface Service {
  id: string;
  name: string;
  engine: string;
  connection: { host: string; port: number; database: string; user: string };
  /** Set when the stored connection breaks a rule made after it was registered: no new job of it runs. */
  blocked: Failure | null;
  /** Another active service of the project at the same host, port and database (usually a mistake). */
  duplicateOf: string | null;
  /** Set once archived: out of the catalog, its backups still downloadable and restorable. */
  archivedAt: string | null;
}

/** What registration and PATCH accepted but is worth a look. */
export interface ServiceWarning {
  code: 'duplicate_target';
  message: string;
  serviceId: string;
}

export interface ServiceStatus {
  service: Service;
  lastSuccess: { backupId: string; finishedAt: string } | null;
  latest: { backupId: string; status: string; failure: Failure | null } | null;
  inProgress: string | null;
  schedule: { cron: string; timezone: string; nextRunAt: string | null } | null;
  stale: boolean;
}

export interface Restore {
  id: string;
  backupId: string;
  serviceId: string;
  status: string;
  target: { kind: 'new_database'; database: string } | { kind: 'in_place' } | { kind: 'service'; serviceId: string };
  safetyBackupId: string | null;
  requestedAt: string;
  finishedAt: string | null;
  failure: Failure | null;
}

/** A project token's role (GET /v1/whoami). */
export type ProjectRole = 'viewer' | 'member' | 'owner';

/** What one engine's services can do here; the dashboard offers an action only when its flag is set. */
export interface EngineCapabilities {
  restoreInPlace: boolean;
  restoreNewDatabase: boolean;
  contents: boolean;
  /** True only when this engine's verification server is configured. */
  drills: boolean;
  parallelRestore: boolean;
  restorePlan: boolean;
}

/** An engine as GET /v1/capabilities describes it. */
export interface EngineDescription {
  name: string;
  label: string;
  aliases: string[];
  defaultPort: number;
  capabilities: EngineCapabilities;
  /** Whether restore drills can run, and the setting that names the verification server. */
  drills: { configured: boolean; setting: string };
  tools: { name: string; version: string | null; problem: string | null }[] | null;
}

export interface Capabilities {
  backups: { available: boolean; reason: string | null };
  storage?: { kind: string | null; configured: boolean };
  bus?: { kind: string };
  runner?: { kind: string };
  engines: EngineDescription[];
}

export interface Schedule {
  cron: string;
  timezone: string;
  retention: Record<string, number>;
  verify: boolean;
  nextRunAt: string | null;
  upcoming: string[];
}

export const inProgress = (status: string) => status === 'requested' || status === 'queued' || status === 'running';
