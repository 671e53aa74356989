import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { WakeSignal } from '../polling/wake-signal.js';
import { migrateSchema } from '../db/migrations.js';
import { type PlatformDatabase, schemaView } from '../db/platform-database.js';
import { busMigrations, busSchema, type BusTables } from './embedded-tables.js';
import { type BatchPublished, type BusMessage, type ConsumerOptions, defaultAckWaitMs, type Delivery, type DeliveryHandler, type EventBus, type Subscription } from './event-bus.js';

const notifyChannel = 'lifeboat_bus';

export interface EmbeddedBusOptions {
  database: PlatformDatabase;
  logger: Logger;
  /** Fallback poll for redeliveries and missed notifications. */
  pollIntervalMs?: number;
  /** Back-off before a failed delivery is retried: `base * 2^(attempt-1)`, capped at 30 s. */
  retryBaseMs?: number;
  /** How long published messages are kept (and their ids deduplicated). */
  retentionMs?: number;
}

/**
 * The embedded bus: JetStream's semantics on the platform database, so `lifeboat serve` needs
 * no broker and loses no accepted message in a crash (docs/decisions.md). Messages are rows;
 * each durable consumer has a delivery row per message until it acks. Deliveries are claimed
 * with FOR UPDATE SKIP LOCKED and hidden for the ack wait, so replicas share the work and an
 * unacked message comes back. No transaction is ever held while a handler runs: PGlite has one
 * connection.
 */
export class EmbeddedBus implements EventBus {
  readonly kind = 'embedded';
  private readonly db: Kysely<BusTables>;
  private readonly published = new EventEmitter().setMaxListeners(0);
  private readonly subscriptions = new Set<EmbeddedSubscription>();
  private unlisten: (() => Promise<void>) | undefined;
  private lastPrune = 0;
  /** Tells this process's own notifications apart from those of other processes sharing the database. */
  private readonly publisher = randomUUID();

  private constructor(private readonly options: EmbeddedBusOptions) {
    this.db = schemaView<BusTables>(options.database, busSchema);
  }

  static async open(options: EmbeddedBusOptions): Promise<EmbeddedBus> {
    await migrateSchema(options.database.db, busSchema, busMigrations);
    const bus = new EmbeddedBus(options);
    // Other processes sharing a PostgreSQL database publish too; their NOTIFY wakes our consumers
    // of the subjects it names (our own publishes woke them already).
    bus.unlisten = await options.database.listen(notifyChannel, (payload) => {
      const notice = readPublishedNotice(payload);
      if (notice.publisher !== bus.publisher) bus.published.emit('message', notice.subjects);
    });
    return bus;
  }

  async publish(message: BusMessage): Promise<void> {
    const { failure } = await this.publishBatch([message]);
    if (failure !== undefined) throw failure;
  }

  /** All or nothing: one transaction stores the messages and their deliveries. */
  async publishBatch(messages: readonly BusMessage[]): Promise<BatchPublished> {
    if (messages.length === 0) return { accepted: 0 };
    let subjects: string[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('messages')
          .values(messages.map((message) => ({ id: message.id, subject: message.subject, data: message.data })))
          .onConflict((conflict) => conflict.column('id').doNothing())
          .returning(['seq', 'subject'])
          .execute();
        if (inserted.length === 0) return;
        subjects = [...new Set(inserted.map((row) => row.subject))];
        const fresh = sql<{ seq: number; subject: string }>`unnest(${inserted.map((row) => row.seq)}::bigint[], ${inserted.map((row) => row.subject)}::text[])`;
        await trx
          .insertInto('deliveries')
          .columns(['consumer', 'seq'])
          .expression((eb) =>
            eb
              .selectFrom(['consumers', fresh.as<'fresh'>(sql`fresh(seq, subject)`)])
              .select(['consumers.name', 'fresh.seq'])
              .where(sql<boolean>`fresh.subject = any(consumers.subjects)`)
              .orderBy('fresh.seq'),
          )
          .execute();
        await sql`select pg_notify(${notifyChannel}, ${publishedNotice(this.publisher, subjects)})`.execute(trx);
      });
    } catch (failure) {
      return { accepted: 0, failure: failure instanceof Error ? failure : new Error(String(failure)) };
    }
    if (subjects.length > 0) this.published.emit('message', subjects);
    await this.pruneOccasionally();
    return { accepted: messages.length };
  }

  async consume(options: ConsumerOptions, handler: DeliveryHandler): Promise<Subscription> {
    await this.ensureConsumer(options.durable, options.subjects);
    const subscription = new EmbeddedSubscription(this.db, options, handler, {
      logger: this.options.logger.child({ consumer: options.durable }),
      pollIntervalMs: this.options.pollIntervalMs ?? 1000,
      retryBaseMs: this.options.retryBaseMs ?? 1000,
      published: this.published,
      onStopped: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  async isHealthy(): Promise<boolean> {
    return this.options.database.ping().then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.unlisten?.();
  }

  /**
   * Creates a durable consumer, or updates its subjects. A new durable is handed every retained
   * message on its subjects (JetStream's DeliverAll), so commands published before their
   * consumer first started are not lost.
   */
  private async ensureConsumer(name: string, subjects: readonly string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const created = await trx
        .insertInto('consumers')
        .values({ name, subjects: [...subjects] })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .returning('name')
        .executeTakeFirst();
      if (!created) {
        await trx.updateTable('consumers').set({ subjects: [...subjects] }).where('name', '=', name).execute();
        return;
      }
      await trx
        .insertInto('deliveries')
        .columns(['consumer', 'seq'])
        .expression((eb) =>
          eb
            .selectFrom('messages')
            .select([sql<string>`${name}::text`.as('consumer'), 'seq'])
            .where('subject', 'in', [...subjects]),
        )
        .execute();
    });
  }

  /** Drops messages past retention that no consumer still owes an ack for. */
  private async pruneOccasionally(): Promise<void> {
    if (Date.now() - this.lastPrune < 60_000) return;
    this.lastPrune = Date.now();
    const retentionMs = this.options.retentionMs ?? 24 * 3600 * 1000;
    await this.db
      .deleteFrom('messages')
      .where('published_at', '<', sql<Date>`now() - ${retentionMs} * interval '1 millisecond'`)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('deliveries').select('seq').whereRef('deliveries.seq', '=', 'messages.seq'))))
      .execute()
      .catch((error: unknown) => this.options.logger.warn({ err: error }, 'bus pruning failed'));
  }
}

/**
 * The payload of the bus's NOTIFY: who published, and on which subjects, so that a listener
 * wakes only the consumers of those. pg_notify takes payloads under 8000 bytes; a longer list is
 * sent as unknown, which wakes every consumer.
 */
export function publishedNotice(publisher: string, subjects: readonly string[]): string {
  const notice = `${publisher} ${subjects.join(' ')}`;
  return notice.length < 7000 ? notice : publisher;
}

/** Reads `publishedNotice`; anything else (an empty payload after a reconnect) names no subjects: wake everyone. */
export function readPublishedNotice(payload: string): { publisher: string; subjects: string[] | undefined } {
  const [publisher = '', ...subjects] = payload.split(' ').filter(Boolean);
  return { publisher, subjects: subjects.length > 0 ? subjects : undefined };
}

/** A delivery and the sequence number that identifies its row. */
interface Claimed {
  seq: number;
  delivery: Delivery;
}

interface SubscriptionContext {
  logger: Logger;
  pollIntervalMs: number;
  retryBaseMs: number;
  published: EventEmitter;
  onStopped: () => void;
}

class EmbeddedSubscription implements Subscription {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly wakeSignal = new WakeSignal();
  /** Only a publish on one of this consumer's subjects (or on unknown ones) wakes it: the others' claims would find nothing. */
  private readonly onPublished = (subjects: readonly string[] | undefined) => {
    if (subjects === undefined || subjects.some((subject) => this.options.subjects.includes(subject))) this.wakeSignal.notify();
  };

  constructor(
    private readonly db: Kysely<BusTables>,
    private readonly options: ConsumerOptions,
    private readonly handler: DeliveryHandler,
    private readonly context: SubscriptionContext,
  ) {}

  start(): void {
    this.context.published.on('message', this.onPublished);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.loop;
    this.stopped = true;
    this.context.published.off('message', this.onPublished);
    this.wakeSignal.notify();
    await this.loop;
    await Promise.all(this.inFlight);
    this.context.onStopped();
  }

  private async run(): Promise<void> {
    const concurrency = this.options.concurrency ?? 1;
    while (!this.stopped) {
      let claimed = 0;
      try {
        const free = concurrency - this.inFlight.size;
        const deliveries = free > 0 ? await this.claim(free) : [];
        claimed = deliveries.length;
        for (const item of deliveries) {
          const handling: Promise<void> = this.handle(item).finally(() => {
            this.inFlight.delete(handling);
            this.wakeSignal.notify();
          });
          this.inFlight.add(handling);
        }
      } catch (error) {
        this.context.logger.warn({ err: error }, 'could not fetch deliveries; will retry');
      }
      if (this.stopped) break;
      // Full, or nothing to do: wait for a publish, a finished handler, or the poll.
      if (claimed === 0 || this.inFlight.size >= concurrency) await this.wakeSignal.sleep(this.context.pollIntervalMs);
    }
  }

  /** Claims up to `limit` visible deliveries in publish order and hides them for the ack wait. */
  private async claim(limit: number): Promise<Claimed[]> {
    const ackWaitMs = this.options.ackWaitMs ?? defaultAckWaitMs;
    const claimed = await this.db
      .updateTable('deliveries')
      .set({ delivery_count: sql<number>`delivery_count + 1`, visible_at: sql<Date>`now() + ${ackWaitMs} * interval '1 millisecond'` })
      .where('consumer', '=', this.options.durable)
      .where('seq', 'in', (eb) =>
        eb
          .selectFrom('deliveries')
          .select('seq')
          .where('consumer', '=', this.options.durable)
          .where('visible_at', '<=', sql<Date>`now()`)
          .orderBy('seq')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['seq', 'delivery_count'])
      .execute();
    if (claimed.length === 0) return [];
    const messages = await this.db
      .selectFrom('messages')
      .select(['seq', 'id', 'subject', 'data'])
      .where(
        'seq',
        'in',
        claimed.map((row) => row.seq),
      )
      .orderBy('seq')
      .execute();
    const counts = new Map(claimed.map((row) => [row.seq, row.delivery_count]));
    return messages.map((message) => ({
      seq: message.seq,
      delivery: { id: message.id, subject: message.subject, data: message.data, deliveryCount: counts.get(message.seq) ?? 1 },
    }));
  }

  private async handle({ seq, delivery }: Claimed): Promise<void> {
    const maxDeliver = this.options.maxDeliver ?? 5;
    if (delivery.deliveryCount > maxDeliver) {
      await this.deadLetter(seq, delivery, new Error(`not acknowledged within ${this.options.ackWaitMs ?? defaultAckWaitMs} ms, ${maxDeliver} times`));
      return;
    }
    const keepAlive = this.keepAlive(seq);
    try {
      await this.handler(delivery);
    } catch (error) {
      await keepAlive.stop();
      await this.nak(seq, delivery, error);
      return;
    }
    await keepAlive.stop();
    await this.db
      .deleteFrom('deliveries')
      .where('consumer', '=', this.options.durable)
      .where('seq', '=', seq)
      .execute()
      .catch((error: unknown) => this.context.logger.warn({ err: error, messageId: delivery.id }, 'ack failed; the message will be delivered again'));
  }

  /** Still working: hides a delivery whose handler runs long for another ack wait, every third of one (see defaultAckWaitMs). */
  private keepAlive(seq: number): { stop(): Promise<void> } {
    const ackWaitMs = this.options.ackWaitMs ?? defaultAckWaitMs;
    let extending: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      extending = this.db
        .updateTable('deliveries')
        .set({ visible_at: sql<Date>`now() + ${ackWaitMs} * interval '1 millisecond'` })
        .where('consumer', '=', this.options.durable)
        .where('seq', '=', seq)
        .execute()
        .catch(() => undefined);
    }, ackWaitMs / 3);
    return {
      // Waits for an extension under way, so that it cannot undo the nak's back-off after it.
      stop: async () => {
        clearInterval(timer);
        await extending;
      },
    };
  }

  private async nak(seq: number, delivery: Delivery, error: unknown): Promise<void> {
    const maxDeliver = this.options.maxDeliver ?? 5;
    if (delivery.deliveryCount >= maxDeliver) {
      await this.deadLetter(seq, delivery, error);
      return;
    }
    const delayMs = Math.min(30_000, this.context.retryBaseMs * 2 ** (delivery.deliveryCount - 1));
    this.context.logger.warn({ err: error, messageId: delivery.id, deliveryCount: delivery.deliveryCount, retryInMs: delayMs }, 'handler failed; will redeliver');
    await this.db
      .updateTable('deliveries')
      .set({ visible_at: sql<Date>`now() + ${delayMs} * interval '1 millisecond'`, last_error: describe(error) })
      .where('consumer', '=', this.options.durable)
      .where('seq', '=', seq)
      .execute()
      .catch(() => undefined);
  }

  /** Hands a message that used up its deliveries to the dead-letter handler, then parks it for operators. */
  private async deadLetter(seq: number, delivery: Delivery, error: unknown): Promise<void> {
    try {
      await this.options.onDeadLetter?.(delivery, error);
    } catch (handlerError) {
      this.context.logger.error({ err: handlerError, messageId: delivery.id }, 'dead-letter handler failed');
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('dead_letters')
        .values({
          consumer: this.options.durable,
          seq,
          message_id: delivery.id,
          subject: delivery.subject,
          data: delivery.data,
          delivery_count: delivery.deliveryCount,
          last_error: describe(error),
        })
        .onConflict((conflict) => conflict.columns(['consumer', 'seq']).doNothing())
        .execute();
      await trx.deleteFrom('deliveries').where('consumer', '=', this.options.durable).where('seq', '=', seq).execute();
    });
    this.context.logger.error({ messageId: delivery.id, subject: delivery.subject, deliveryCount: delivery.deliveryCount }, 'message dead-lettered');
  }
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 2000);
}
