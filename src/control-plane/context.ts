import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { NetworkPolicy } from '../contracts/network-policy.js';
import type { Engine, ToolFound } from '../contracts/engines.js';
import type { Metrics } from '../observability/metrics.js';
import type { Keys } from '../secrets/keys.js';
import type { ObjectStore } from '../storage/object-store.js';
import { type Availability, backupAvailability, type KillSwitchState, readKillSwitch } from './availability.js';
import type { RecordChanges } from './record-changes.js';
import type { ControlTables } from './tables.js';

/** What the control plane's routes and consumers need, built once by the server wiring. */
export interface ControlPlane {
  db: Kysely<ControlTables>;
  keys: Keys;
  /** Undefined when no storage is configured: backups are then unavailable. */
  store: ObjectStore | undefined;
  adminToken: string;
  logger: Logger;
  metrics: Metrics;
  settings: {
    killSwitchFromConfiguration: boolean;
    downloadUrlTtlSeconds: number;
    jobDeadlineSeconds: number;
    /** Services' scheduled runs are spread over this many seconds after their cron slot. */
    scheduleJitterSeconds: number;
    /** The shortest gap a schedule may leave between two runs (LIFEBOAT_MIN_SCHEDULE_INTERVAL_SECONDS). */
    minScheduleIntervalSeconds: number;
    /** Open `GET /v1/events` streams allowed at once in this process, per token and per project. */
    maxEventStreams: { perToken: number; perProject: number };
    /** The engines whose restore drills have a verification server configured. */
    verificationEngines: readonly Engine[];
    busKind: 'embedded' | 'nats';
    runnerKind: 'local' | 'kubernetes';
    /** Failed authentications a client address may make in a minute before its requests answer 429. */
    authFailuresPerMinute: number;
    /** Proxies whose X-Forwarded-For names the client (the failed-authentication limit is per client address). */
    trustProxy?: boolean | number | string[];
    /** Which addresses services and webhooks may point to (the operator's decision). */
    networkPolicy: NetworkPolicy;
    /** Which addresses webhook receivers may have: the services' refusals and the private ranges, unless listed. */
    webhookPolicy: NetworkPolicy;
    /** Who may register a service's connection: the operator only, or project owners too. */
    serviceRegistration: 'admin' | 'owner';
    /** How long a connection check is waited for before `check_timed_out` (LIFEBOAT_CONNECTION_CHECK_WAIT_SECONDS); 30 unset. */
    connectionCheckWaitSeconds?: number;
  };
  /**
   * The versions of each engine's tools where jobs run, when this process can know them (the
   * local runner runs agents beside it); undefined under the Kubernetes runner: the agent image has them.
   */
  toolVersions?: () => Promise<Partial<Record<Engine, ToolFound[]>>>;
  /** Base URL for links the API hands out (known once the server listens). */
  publicUrl(): string;
  /** Wakes the reads that wait on a backup or restore (`?waitSeconds=`). */
  changes: RecordChanges;
  /** Wakes the outbox relays of every replica, for commands committed by a statement that sent no NOTIFY. */
  wakeRelay(): void;
  /** Readiness: whether the database and bus answer. */
  isReady(): Promise<boolean>;
}

export async function killSwitchOf(plane: ControlPlane): Promise<KillSwitchState> {
  return readKillSwitch(plane.db, plane.settings.killSwitchFromConfiguration);
}

export async function availabilityOf(plane: ControlPlane): Promise<Availability> {
  return backupAvailability({ storageConfigured: plane.store !== undefined, killSwitch: await killSwitchOf(plane) });
}
