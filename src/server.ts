import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { openEventBus } from './bus/open-bus.js';
import type { Config } from './config/config.js';
import type { Engine } from './contracts/index.js';
import { Api } from './control-plane/api.js';
import { generateAdminToken } from './control-plane/access.js';
import { openPlatformDatabase } from './db/platform-database.js';
import { networkPolicyFor, platformEndpoints, webhookPolicyFor } from './network-policy/network-policy.js';
import type { VerificationServer, VerificationServers } from './orchestrator/job-kinds.js';
import { Orchestrator } from './orchestrator/orchestrator.js';
import { LocalRunner } from './runner/local.js';
import { toolVersionsOn } from './engines/tools-found.js';
import { keptSecret } from './secrets/bootstrap.js';
import { deriveKeys } from './secrets/keys.js';
import { createMetrics } from './observability/metrics.js';
import { startOperationsServer } from './observability/operations-server.js';
import { openObjectStore } from './storage/open-object-store.js';

export interface ProcessSurroundings {
  /** How to start the CLI for agent jobs: [node, dist/cli/main.js]. */
  agentCommand: readonly string[];
  /** The environment an agent inherits (PATH, locale). */
  inheritedEnv: Readonly<Record<string, string>>;
}

export interface RunningServer {
  /** Where the API listens (api and serve roles). */
  url: string | undefined;
  adminToken: { value: string; keptIn: string | undefined };
  stop(): Promise<void>;
}

/**
 * Wires one Lifeboat server process from its configuration: `serve` runs every role on the
 * embedded defaults; `api` and `orchestrator` run one role each.
 */
export async function startServer(config: Config, surroundings: ProcessSurroundings, logger: Logger): Promise<RunningServer> {
  const secret = config.secretKey ?? (await keptSecret(config.dataDir, 'secret-key', () => randomBytes(32).toString('base64url'))).value;
  const keys = deriveKeys(secret);
  const admin = config.adminToken
    ? { value: config.adminToken, keptIn: undefined }
    : { value: (await keptSecret(config.dataDir, 'admin-token', generateAdminToken)).value, keptIn: `${config.dataDir}/admin-token` };

  const database = await openPlatformDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger });
  const stops: (() => Promise<void>)[] = [() => database.close()];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step();
  };
  try {
    const bus = await openEventBus({ busUrl: config.busUrl, database, logger });
    stops.push(() => bus.close());
    const store = config.storageUrl ? await openObjectStore(config.storageUrl) : undefined;
    const metrics = createMetrics();
    // One policy for the API's checks at registration and the agents' checks at connect time.
    const networkPolicy = networkPolicyFor(config.role, config.serviceNetworks, platformEndpoints(config));
    const webhookPolicy = webhookPolicyFor(config.role, config.webhookNetworks, platformEndpoints(config));

    let url: string | undefined;
    if (config.role !== 'orchestrator') {
      const api = await Api.start({
        database,
        databaseUrl: config.databaseUrl,
        bus,
        store,
        keys,
        adminToken: admin.value,
        logger,
        metrics,
        // Under the local runner agents run here, with this PATH: what is found here is what jobs get.
        toolVersions: config.runner === 'local' ? toolVersionsOn(surroundings.inheritedEnv) : undefined,
        host: config.host,
        port: config.port,
        publicUrl: config.publicUrl,
        dashboardDir: fileURLToPath(new URL('./dashboard', import.meta.url)),
        settings: {
          killSwitchFromConfiguration: config.killSwitch,
          downloadUrlTtlSeconds: config.downloadUrlTtlSeconds,
          jobDeadlineSeconds: config.jobDeadlineSeconds,
          scheduleJitterSeconds: config.scheduleJitterSeconds,
          minScheduleIntervalSeconds: config.minScheduleIntervalSeconds,
          maxEventStreams: { perToken: config.maxEventStreamsPerToken, perProject: config.maxEventStreamsPerProject },
          verificationEngines: Object.keys(verificationServersOf(config)) as Engine[],
          busKind: bus.kind,
          runnerKind: config.runner,
          authFailuresPerMinute: config.authFailuresPerMinute,
          trustProxy: config.trustProxy,
          networkPolicy,
          webhookPolicy,
          serviceRegistration: config.serviceRegistration,
          connectionCheckWaitSeconds: config.connectionCheckWaitSeconds,
        },
      });
      stops.push(() => api.stop());
      url = api.url;
    }

    if (config.role !== 'api') {
      if (!store || !config.storageUrl) throw new Error('the orchestrator needs object storage: set LIFEBOAT_STORAGE_URL');
      const orchestrator = await Orchestrator.start({
        database,
        databaseUrl: config.databaseUrl,
        bus,
        store,
        storageUrl: config.storageUrl,
        credentialsKey: keys.credentials,
        logger,
        maxConcurrentJobs: config.maxConcurrentJobs,
        lockWaitTimeoutSeconds: config.lockWaitTimeoutSeconds,
        networkPolicy,
        maxConcurrentJobsPerProject: config.maxConcurrentJobsPerProject,
        runner: new LocalRunner({
          command: surroundings.agentCommand,
          inheritedEnv: surroundings.inheritedEnv,
          logger,
          standby: config.agentStandby ? { storageUrl: config.storageUrl } : undefined,
        }),
        killSwitchFromConfiguration: config.killSwitch,
        orphanGraceMs: config.orphanGraceSeconds * 1000,
        orphanSweepIntervalMs: config.orphanSweepSeconds * 1000,
        verificationServers: verificationServersOf(config),
        metrics,
      });
      // Stopped before the API and bus, so its last events still go out.
      stops.push(() => orchestrator.stop());
      if (config.role === 'orchestrator') {
        const operations = await startOperationsServer({
          host: config.host,
          port: config.port,
          metrics,
          isReady: async () => (await database.ping(), bus.isHealthy()),
        });
        stops.push(() => operations.app.close());
        url = operations.url;
      }
    }
    return { url, adminToken: admin, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Each engine's verification server, from the settings that name them. */
function verificationServersOf(config: Pick<Config, 'verifyDatabaseUrl' | 'verifyMariadbUrl'>): VerificationServers {
  return {
    ...(config.verifyDatabaseUrl ? { postgresql: verificationServerOf(config.verifyDatabaseUrl, { port: 5432, database: 'postgres', user: 'postgres' }) } : {}),
    ...(config.verifyMariadbUrl ? { mariadb: verificationServerOf(config.verifyMariadbUrl, { port: 3306, database: 'mysql', user: 'root' }) } : {}),
  };
}

/** A verification server's connection, with its password kept apart for the agent's environment. */
function verificationServerOf(url: string, defaults: { port: number; database: string; user: string }): VerificationServer {
  const parsed = new URL(url);
  return {
    connection: {
      host: parsed.hostname,
      port: parsed.port === '' ? defaults.port : Number(parsed.port),
      database: decodeURIComponent(parsed.pathname.slice(1)) || defaults.database,
      user: decodeURIComponent(parsed.username) || defaults.user,
    },
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
  };
}
