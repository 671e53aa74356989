import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { EventBus, Subscription } from '../bus/event-bus.js';
import { migrateSchema } from '../db/migrations.js';
import { type PlatformDatabase, schemaView } from '../db/platform-database.js';
import { OutboxRelay } from '../outbox/relay.js';
import { outboxChannel } from '../outbox/tables.js';
import type { Metrics } from '../observability/metrics.js';
import type { Keys } from '../secrets/keys.js';
import type { ObjectStore } from '../storage/object-store.js';
import { holdLeadership, type Leadership } from '../db/leadership.js';
import { consumeBackupEvents } from './backup-events.js';
import { markQueued } from './backups.js';
import { RecordChanges } from './record-changes.js';
import { availabilityOf, type ControlPlane } from './context.js';
import { buildApp } from './http/app.js';
import { controlMigrations } from './migrations.js';
import { DeadlineSweeper } from './deadline-sweep.js';
import { RetentionSweeper } from './retention-sweep.js';
import { Scheduler } from './scheduler.js';
import { reportBlockedServices } from './service-block.js';
import { WebhookDispatcher } from './webhooks.js';
import { controlSchema, type ControlTables } from './tables.js';

export interface ApiOptions {
  database: PlatformDatabase;
  /** For leader election on PostgreSQL; undefined on PGlite. */
  databaseUrl: string | undefined;
  bus: EventBus;
  store: ObjectStore | undefined;
  keys: Keys;
  adminToken: string;
  logger: Logger;
  metrics: Metrics;
  settings: ControlPlane['settings'];
  toolVersions?: ControlPlane['toolVersions'];
  host: string;
  port: number;
  /** Where the built dashboard is; not served when absent. */
  dashboardDir?: string;
  /** Base of links handed out; unset: the address the server listens on. */
  publicUrl: string | undefined;
}

/**
 * The control-plane role: the HTTP API, the relay that sends its commands, and the consumer
 * that applies the orchestrator's events to backup records.
 */
export class Api {
  private constructor(
    readonly app: FastifyInstance,
    readonly url: string,
    private readonly relay: OutboxRelay<ControlTables>,
    private readonly events: Subscription,
    private readonly leadership: Leadership,
    private readonly scheduler: Scheduler,
    private readonly sweeper: RetentionSweeper,
    private readonly webhooks: WebhookDispatcher,
    private readonly deadlines: DeadlineSweeper,
  ) {}

  static async start(options: ApiOptions): Promise<Api> {
    const { database, bus, logger } = options;
    await migrateSchema(database.db, controlSchema, controlMigrations);
    const db = schemaView<ControlTables>(database, controlSchema);
    let listeningUrl = '';
    const plane: ControlPlane = {
      db,
      keys: options.keys,
      store: options.store,
      adminToken: options.adminToken,
      logger: logger.child({ role: 'api' }),
      metrics: options.metrics,
      settings: options.settings,
      toolVersions: options.toolVersions,
      publicUrl: () => options.publicUrl ?? listeningUrl,
      changes: new RecordChanges(),
      wakeRelay: () => database.notify(outboxChannel(controlSchema)),
      isReady: async () => {
        await database.ping();
        return bus.isHealthy();
      },
    };
    const relay = new OutboxRelay<ControlTables>({
      database,
      schema: controlSchema,
      bus,
      logger: plane.logger,
      afterPublish: markQueued,
      onPublished: (count) => options.metrics.messagesRelayed.inc({ schema: controlSchema }, count),
    });
    await relay.start();
    const events = await consumeBackupEvents({
      bus,
      db,
      logger: plane.logger,
      settings: { jobDeadlineSeconds: options.settings.jobDeadlineSeconds, verificationEngines: options.settings.verificationEngines },
      onApplied: (event, outcome) => {
        options.metrics.backupEvents.inc({ type: event.type, applied: String(outcome.startsWith('applied')) });
        plane.changes.changed('checkId' in event.payload ? event.payload.checkId : 'restoreId' in event.payload ? event.payload.restoreId : event.payload.backupId);
      },
    });
    // Schedules and retention run in one replica at a time.
    const leadership = holdLeadership({ database, url: options.databaseUrl, name: 'control-plane-scheduler', logger: plane.logger });
    const scheduler = new Scheduler({
      db,
      logger: plane.logger,
      availability: () => availabilityOf(plane),
      isLeader: () => leadership.isLeader(),
      jitterWindowSeconds: options.settings.scheduleJitterSeconds,
      deadlineSeconds: options.settings.jobDeadlineSeconds,
    });
    scheduler.start();
    const sweeper = new RetentionSweeper({ db, logger: plane.logger, isLeader: () => leadership.isLeader() });
    sweeper.start();
    const webhooks = new WebhookDispatcher({ db, key: options.keys.credentials, logger: plane.logger, networkPolicy: options.settings.webhookPolicy });
    webhooks.start();
    const deadlines = new DeadlineSweeper({ db, logger: plane.logger, isLeader: () => leadership.isLeader(), deadlineSeconds: options.settings.jobDeadlineSeconds });
    deadlines.start();
    await reportBlockedServices(db, plane.logger, options.settings.networkPolicy);
    const app = await buildApp(plane, { dashboardDir: options.dashboardDir });
    const address = await app.listen({ host: options.host, port: options.port });
    listeningUrl = address.replace('[::1]', 'localhost');
    return new Api(app, listeningUrl, relay, events, leadership, scheduler, sweeper, webhooks, deadlines);
  }

  async stop(): Promise<void> {
    await this.app.close();
    await this.scheduler.stop();
    await this.sweeper.stop();
    await this.webhooks.stop();
    await this.deadlines.stop();
    await this.leadership.stop();
    await this.events.stop();
    await this.relay.stop();
  }
}
