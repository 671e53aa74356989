import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { parseCidr } from '../contracts/network-policy.js';
import { hostProblem } from '../contracts/connection-rules.js';
import { defaultPerProjectLimit } from '../orchestrator/fair-share.js';
import { parseServiceNetworks } from '../network-policy/policy-from-config.js';
import { parseStorageUrl } from '../storage/storage-url.js';

export type ServerRole = 'serve' | 'api' | 'orchestrator';

/**
 * The whole configuration of a Lifeboat server process, parsed once from the environment at the
 * entry point and passed down. Every problem is reported on a line of its own.
 */
export interface Config {
  role: ServerRole;
  dataDir: string;
  host: string;
  port: number;
  /** Base of the download links the API hands out; unset: the address the API listens on. */
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  busUrl: string | undefined;
  /** Undefined means "not configured": the API fails closed. Under `serve` it defaults to the data dir. */
  storageUrl: string | undefined;
  runner: 'local';
  adminToken: string | undefined;
  secretKey: string | undefined;
  downloadUrlTtlSeconds: number;
  killSwitch: boolean;
  jobDeadlineSeconds: number;
  scheduleJitterSeconds: number;
  /** postgres:// URL of a server where restore drills create scratch databases (its user needs CREATEDB). */
  verifyDatabaseUrl: string | undefined;
  /** The MariaDB/MySQL server restore drills of MariaDB backups use (LIFEBOAT_VERIFY_MARIADB_URL). */
  verifyMariadbUrl: string | undefined;
  /** Files no successful backup owns are removed once this old, checked this often. */
  orphanGraceSeconds: number;
  orphanSweepSeconds: number;
  maxConcurrentJobs: number;
  /** How long a job waits for a lock on a service's database before it fails with `lock_timeout`. */
  lockWaitTimeoutSeconds: number;
  /** Failed authentications one client address may make in a minute before it is answered 429. */
  authFailuresPerMinute: number;
  /** Which proxies in front of the API may say who the client is (X-Forwarded-For): none, all, a hop count, or their addresses. */
  trustProxy: boolean | number | string[];
  /** Jobs one project may run at once across every orchestrator, so that it cannot take every slot. */
  maxConcurrentJobsPerProject: number;
  /** Keep one agent process started ahead of the next job (the local runner). */
  agentStandby: boolean;
  /** The shortest gap a schedule may leave between two runs. */
  minScheduleIntervalSeconds: number;
  /** Concurrent `GET /v1/events` streams one API process keeps open per token and per project. */
  maxEventStreamsPerToken: number;
  maxEventStreamsPerProject: number;
  /**
   * LIFEBOAT_SERVICE_NETWORKS as written (validated): the CIDRs and DNS suffixes services and
   * webhooks may live in. Unset: anywhere but the built-in refusals of the role.
   */
  serviceNetworks: string | undefined;
  /** LIFEBOAT_WEBHOOK_NETWORKS as written (validated): where webhook receivers may live. Unset: the public internet. */
  webhookNetworks: string | undefined;
  /** Who may register a service's connection: the operator only, or a project's owners too. */
  serviceRegistration: 'admin' | 'owner';
  /** How long the API waits for a connection check's verdict before `check_timed_out`. */
  connectionCheckWaitSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const flag = z.enum(['0', '1', 'true', 'false']).transform((value) => value === '1' || value === 'true');
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const environment = z.object({
  LIFEBOAT_DATA_DIR: z.string().min(1).default('./.lifeboat'),
  LIFEBOAT_HOST: z.string().min(1).default('127.0.0.1'),
  LIFEBOAT_PORT: integer(0, 65535).default(8080),
  LIFEBOAT_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  LIFEBOAT_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  LIFEBOAT_BUS_URL: z.url({ protocol: /^nats$/, error: 'must be a nats:// URL' }).optional(),
  LIFEBOAT_STORAGE_URL: z.url({ protocol: /^(file|s3)$/, error: 'must be a file:///absolute/dir or s3://bucket/prefix URL' }).optional(),
  LIFEBOAT_RUNNER: z.enum(['local', 'kubernetes']).default('local'),
  LIFEBOAT_ADMIN_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  LIFEBOAT_SECRET_KEY: z.string().min(32, 'must be at least 32 characters of random text').optional(),
  LIFEBOAT_DOWNLOAD_URL_TTL_SECONDS: integer(10, 7 * 24 * 3600).default(900),
  LIFEBOAT_KILL_SWITCH: flag.default(false),
  LIFEBOAT_JOB_DEADLINE_SECONDS: integer(5, 7 * 24 * 3600).default(6 * 3600),
  LIFEBOAT_MAX_CONCURRENT_JOBS: integer(1, 256).default(4),
  LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS: integer(1, 24 * 3600).default(300),
  LIFEBOAT_CONNECTION_CHECK_WAIT_SECONDS: integer(1, 600).default(30),
  LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT: integer(1, 256).optional(),
  LIFEBOAT_AGENT_STANDBY: flag.default(true),
  LIFEBOAT_AUTH_FAILURES_PER_MINUTE: integer(1, 100_000).default(20),
  LIFEBOAT_TRUST_PROXY: z
    .string()
    .refine((text) => /^(true|false|\d{1,2})$/.test(text) || text.split(',').every((entry) => parseCidr(entry.trim()) !== null), 'must be true, false, a number of hops, or comma-separated proxy addresses or CIDRs')
    .optional(),
  LIFEBOAT_SCHEDULE_JITTER_SECONDS: integer(0, 3600).default(300),
  // Per minute is the finest a five-field cron can fire; a week is the coarsest minimum that still allows weekly backups.
  LIFEBOAT_MIN_SCHEDULE_INTERVAL_SECONDS: integer(60, 7 * 24 * 3600).default(3600),
  LIFEBOAT_MAX_EVENT_STREAMS_PER_TOKEN: integer(1, 1000).default(5),
  LIFEBOAT_MAX_EVENT_STREAMS_PER_PROJECT: integer(1, 10_000).default(20),
  LIFEBOAT_ORPHAN_GRACE_SECONDS: integer(0, 30 * 24 * 3600).default(3600),
  LIFEBOAT_ORPHAN_SWEEP_SECONDS: integer(5, 24 * 3600).default(600),
  LIFEBOAT_VERIFY_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  LIFEBOAT_VERIFY_MARIADB_URL: z.url({ protocol: /^(mariadb|mysql)$/, error: 'must be a mariadb:// (or mysql://) URL' }).optional(),
  LIFEBOAT_SERVICE_NETWORKS: z.string().optional(),
  LIFEBOAT_WEBHOOK_NETWORKS: z.string().optional(),
  LIFEBOAT_SERVICE_REGISTRATION: z.enum(['admin', 'owner'], { error: 'must be admin (the operator registers services) or owner (project owners may)' }).optional(),
  LIFEBOAT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

export function loadConfig(role: ServerRole, env: Record<string, string | undefined>): Config {
  // An empty variable means "unset", as it does in most shells' `VAR= command`.
  const present = Object.fromEntries(Object.entries(env).filter(([key, value]) => key.startsWith('LIFEBOAT_') && value !== ''));
  const parsed = environment.safeParse(present);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  problems.push(...roleProblems(role, present));
  if (parsed.success) problems.push(...jobSlotProblems(parsed.data));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const values = parsed.data;
  const dataDir = resolve(values.LIFEBOAT_DATA_DIR);
  const storageUrl = values.LIFEBOAT_STORAGE_URL ?? (role === 'serve' ? pathToFileURL(resolve(dataDir, 'artifacts')).href : undefined);
  return {
    role,
    dataDir,
    host: values.LIFEBOAT_HOST,
    port: values.LIFEBOAT_PORT,
    publicUrl: values.LIFEBOAT_PUBLIC_URL?.replace(/\/+$/, ''),
    databaseUrl: values.LIFEBOAT_DATABASE_URL,
    busUrl: values.LIFEBOAT_BUS_URL,
    storageUrl,
    runner: 'local',
    adminToken: values.LIFEBOAT_ADMIN_TOKEN,
    secretKey: values.LIFEBOAT_SECRET_KEY,
    downloadUrlTtlSeconds: values.LIFEBOAT_DOWNLOAD_URL_TTL_SECONDS,
    killSwitch: values.LIFEBOAT_KILL_SWITCH,
    jobDeadlineSeconds: values.LIFEBOAT_JOB_DEADLINE_SECONDS,
    scheduleJitterSeconds: values.LIFEBOAT_SCHEDULE_JITTER_SECONDS,
    verifyDatabaseUrl: values.LIFEBOAT_VERIFY_DATABASE_URL,
    verifyMariadbUrl: values.LIFEBOAT_VERIFY_MARIADB_URL,
    orphanGraceSeconds: values.LIFEBOAT_ORPHAN_GRACE_SECONDS,
    orphanSweepSeconds: values.LIFEBOAT_ORPHAN_SWEEP_SECONDS,
    maxConcurrentJobs: values.LIFEBOAT_MAX_CONCURRENT_JOBS,
    lockWaitTimeoutSeconds: values.LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS,
    authFailuresPerMinute: values.LIFEBOAT_AUTH_FAILURES_PER_MINUTE,
    trustProxy: trustedProxies(values.LIFEBOAT_TRUST_PROXY),
    maxConcurrentJobsPerProject: values.LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT ?? defaultPerProjectLimit(values.LIFEBOAT_MAX_CONCURRENT_JOBS),
    agentStandby: values.LIFEBOAT_AGENT_STANDBY,
    minScheduleIntervalSeconds: values.LIFEBOAT_MIN_SCHEDULE_INTERVAL_SECONDS,
    maxEventStreamsPerToken: values.LIFEBOAT_MAX_EVENT_STREAMS_PER_TOKEN,
    maxEventStreamsPerProject: values.LIFEBOAT_MAX_EVENT_STREAMS_PER_PROJECT,
    serviceNetworks: values.LIFEBOAT_SERVICE_NETWORKS,
    webhookNetworks: values.LIFEBOAT_WEBHOOK_NETWORKS,
    // In a platform the catalog registers services on the user's behalf; alone, the user does.
    serviceRegistration: values.LIFEBOAT_SERVICE_REGISTRATION ?? (role === 'serve' ? 'owner' : 'admin'),
    connectionCheckWaitSeconds: values.LIFEBOAT_CONNECTION_CHECK_WAIT_SECONDS,
    logLevel: values.LIFEBOAT_LOG_LEVEL,
  };
}

/** A project's share cannot be more than the slots one orchestrator has. */
function jobSlotProblems(values: z.infer<typeof environment>): string[] {
  const perProject = values.LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT;
  if (perProject === undefined || perProject <= values.LIFEBOAT_MAX_CONCURRENT_JOBS) return [];
  return [
    `LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT: ${perProject} is more than LIFEBOAT_MAX_CONCURRENT_JOBS (${values.LIFEBOAT_MAX_CONCURRENT_JOBS}); ` +
      'a project can run at most as many jobs as one orchestrator has slots: lower it, or raise LIFEBOAT_MAX_CONCURRENT_JOBS',
  ];
}

/** LIFEBOAT_TRUST_PROXY as Fastify's `trustProxy` takes it; unset: no proxy is trusted, the connection's address counts. */
function trustedProxies(text: string | undefined): boolean | number | string[] {
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(',').map((entry) => entry.trim());
}

/** Rules across variables, checked on the raw values so that every problem is reported at once. */
function roleProblems(role: ServerRole, present: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (present.LIFEBOAT_RUNNER === 'kubernetes') {
    problems.push('LIFEBOAT_RUNNER: the kubernetes runner is not available in this version; use local');
  }
  if (present.LIFEBOAT_STORAGE_URL) {
    try {
      parseStorageUrl(present.LIFEBOAT_STORAGE_URL);
    } catch (error) {
      problems.push(`LIFEBOAT_STORAGE_URL: ${(error as Error).message}`);
    }
  }
  for (const variable of ['LIFEBOAT_SERVICE_NETWORKS', 'LIFEBOAT_WEBHOOK_NETWORKS'] as const) {
    const text = present[variable];
    if (text !== undefined) for (const problem of parseServiceNetworks(text).problems) problems.push(`${variable}: ${problem}`);
  }
  for (const variable of ['LIFEBOAT_VERIFY_DATABASE_URL', 'LIFEBOAT_VERIFY_MARIADB_URL'] as const) {
    const url = present[variable];
    if (!url) continue;
    // Restore drills connect like services do (values passed literally, a pinned address).
    const host = URL.canParse(url) ? new URL(url).hostname : '';
    const problem = host === '' ? 'names no host' : hostProblem(host);
    if (problem) problems.push(`${variable}: the host ${problem} (a unix socket is not supported; give host and port)`);
  }
  if (role === 'serve') return problems;
  // Split roles are replicas sharing one platform database; each process's data dir is its own.
  if (!present.LIFEBOAT_DATABASE_URL) {
    problems.push(`LIFEBOAT_DATABASE_URL: required for \`lifeboat ${role}\`: api and orchestrator replicas share one PostgreSQL database`);
  }
  if (!present.LIFEBOAT_SECRET_KEY) {
    problems.push(`LIFEBOAT_SECRET_KEY: required for \`lifeboat ${role}\`; api and orchestrator must share the same key`);
  }
  if (role === 'api' && !present.LIFEBOAT_ADMIN_TOKEN) {
    problems.push('LIFEBOAT_ADMIN_TOKEN: required for `lifeboat api`: every replica must accept the same operator token');
  }
  if (role === 'orchestrator' && !present.LIFEBOAT_STORAGE_URL) {
    problems.push('LIFEBOAT_STORAGE_URL: required for `lifeboat orchestrator`: its jobs write there');
  }
  return problems;
}
