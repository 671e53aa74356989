import type { Logger } from 'pino';
import type { EventBus, Subscription } from '../bus/event-bus.js';
import { migrateSchema } from '../db/migrations.js';
import { type PlatformDatabase, schemaView } from '../db/platform-database.js';
import { OutboxRelay } from '../outbox/relay.js';
import type { NetworkPolicy } from '../contracts/network-policy.js';
import type { Metrics } from '../observability/metrics.js';
import type { JobRunner } from '../runner/job-runner.js';
import type { ObjectStore } from '../storage/object-store.js';
import { holdLeadership, type Leadership } from '../db/leadership.js';
import { newInstanceId } from './instance.js';
import { sweepOrphans } from './orphan-sweep.js';
import { consumeKillSwitch, consumeOrchestratorCommands } from './commands.js';
import { consumeBackupCommands } from './intake.js';
import type { VerificationServers } from './job-kinds.js';
import { JobLauncher, type JobLauncherOptions } from './job-launcher.js';
import { readKillSwitch } from './kill-switch.js';
import { orchestratorMigrations } from './migrations.js';
import { orchestratorSchema, type OrchestratorTables } from './tables.js';

export interface OrchestratorOptions {
  database: PlatformDatabase;
  /** For leader election on PostgreSQL; undefined on PGlite. */
  databaseUrl: string | undefined;
  bus: EventBus;
  runner: JobRunner;
  store: ObjectStore;
  storageUrl: string;
  credentialsKey: Buffer;
  logger: Logger;
  maxConcurrentJobs: number;
  /** How long a job waits for a lock on a service's database (300 s unset). */
  lockWaitTimeoutSeconds?: number;
  /** Where services may live; the agent checks the address it connects to. Unset: anywhere. */
  networkPolicy?: NetworkPolicy;
  /** Jobs one project may have running at once, across every orchestrator replica (the fair share). */
  maxConcurrentJobsPerProject: number;
  /** LIFEBOAT_KILL_SWITCH=1; the operator's switch arrives as `kill_switch.changed`. */
  killSwitchFromConfiguration: boolean;
  metrics?: Metrics;
  /** Where restore drills create scratch databases; unset, drills fail saying so. */
  verificationServers?: VerificationServers;
  /** Files no successful backup owns are removed once this old. */
  orphanGraceMs?: number;
  orphanSweepIntervalMs?: number;
  /** Test and tuning knobs for the launcher (poll, heartbeat, lost-job and shutdown timings). */
  timings?: Pick<JobLauncherOptions, 'pollIntervalMs' | 'heartbeatIntervalMs' | 'lostAfterMs' | 'shutdownGraceMs' | 'progressIntervalMs'>;
}

/**
 * The orchestrator role: takes backup commands off the bus, runs them as jobs, and reports
 * their outcome through its own outbox. It shares no table with the control plane.
 */
export class Orchestrator {
  readonly owner = newInstanceId();
  private readonly launcher: JobLauncher;
  private readonly relay: OutboxRelay<OrchestratorTables>;
  private intake: Subscription | undefined;
  private commands: Subscription | undefined;
  private killSwitchChanges: Subscription | undefined;
  private leadership: Leadership | undefined;
  private orphanTimer: NodeJS.Timeout | undefined;
  private orphanSweep: Promise<unknown> | undefined;

  private readonly killSwitch = () => readKillSwitch(schemaView<OrchestratorTables>(this.options.database, orchestratorSchema), this.options.killSwitchFromConfiguration);

  private constructor(private readonly options: OrchestratorOptions) {
    const db = schemaView<OrchestratorTables>(options.database, orchestratorSchema);
    const logger = options.logger.child({ role: 'orchestrator' });
    this.launcher = new JobLauncher({ ...options, ...options.timings, verificationServers: options.verificationServers ?? {}, db, logger, owner: this.owner, killSwitch: this.killSwitch });
    this.relay = new OutboxRelay<OrchestratorTables>({
      database: options.database,
      schema: orchestratorSchema,
      bus: options.bus,
      logger,
      onPublished: (count) => options.metrics?.messagesRelayed.inc({ schema: orchestratorSchema }, count),
    });
  }

  static async start(options: OrchestratorOptions): Promise<Orchestrator> {
    await migrateSchema(options.database.db, orchestratorSchema, orchestratorMigrations);
    const orchestrator = new Orchestrator(options);
    // Before the launcher: a change waiting on the bus should land before the first launch.
    orchestrator.killSwitchChanges = await consumeKillSwitch({
      bus: options.bus,
      db: schemaView<OrchestratorTables>(options.database, orchestratorSchema),
      logger: options.logger.child({ role: 'orchestrator' }),
    });
    await orchestrator.relay.start();
    orchestrator.launcher.start();
    orchestrator.intake = await consumeBackupCommands({
      bus: options.bus,
      db: schemaView<OrchestratorTables>(options.database, orchestratorSchema),
      logger: options.logger.child({ role: 'orchestrator' }),
      killSwitch: orchestrator.killSwitch,
      onRecorded: () => orchestrator.launcher.wake(),
    });
    orchestrator.commands = await consumeOrchestratorCommands({
      bus: options.bus,
      db: schemaView<OrchestratorTables>(options.database, orchestratorSchema),
      store: options.store,
      logger: options.logger.child({ role: 'orchestrator' }),
      stopIfRunningHere: (jobId) => orchestrator.launcher.stopIfRunningHere(jobId),
    });
    orchestrator.startOrphanSweep();
    return orchestrator;
  }

  /** Leader-only: listing a whole bucket from every replica would only cost money. */
  private startOrphanSweep(): void {
    const logger = this.options.logger.child({ role: 'orchestrator' });
    this.leadership = holdLeadership({ database: this.options.database, url: this.options.databaseUrl, name: 'orchestrator-orphan-sweep', logger });
    const sweep = () => {
      if (!this.leadership?.isLeader()) return;
      this.orphanSweep = sweepOrphans({
        db: schemaView<OrchestratorTables>(this.options.database, orchestratorSchema),
        store: this.options.store,
        graceMs: this.options.orphanGraceMs ?? 3600_000,
        logger,
      }).catch((error: unknown) => logger.warn({ err: error }, 'orphan sweep failed; will retry'));
    };
    this.orphanTimer = setInterval(sweep, this.options.orphanSweepIntervalMs ?? 10 * 60_000);
    this.orphanTimer.unref();
  }

  /** Stops taking commands, lets jobs finish or hands them back, then flushes the outbox. */
  async stop(): Promise<void> {
    await this.intake?.stop();
    await this.commands?.stop();
    await this.killSwitchChanges?.stop();
    await this.launcher.stop();
    await this.relay.relayPending().catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not flush the orchestrator outbox'));
    await this.relay.stop();
    clearInterval(this.orphanTimer);
    await this.orphanSweep;
    await this.leadership?.stop();
  }
}
