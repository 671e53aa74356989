import { AckPolicy, type Consumer, DeliverPolicy, type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager, type JsMsg, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { type BatchPublished, type BusMessage, type ConsumerOptions, defaultAckWaitMs, type Delivery, type DeliveryHandler, type EventBus, type Subscription } from './event-bus.js';

export interface StreamSpec {
  name: string;
  subjects: string[];
}

/** Lifeboat's streams: commands to the orchestrators, events back to the control plane. */
export const lifeboatStreams: StreamSpec[] = [
  { name: 'LIFEBOAT_COMMANDS', subjects: ['lifeboat.cmd.>'] },
  { name: 'LIFEBOAT_EVENTS', subjects: ['lifeboat.evt.>'] },
];

export interface NatsBusOptions {
  /** One or more nats:// URLs, comma-separated. */
  url: string;
  logger: Logger;
  streams?: StreamSpec[];
  /** How long JetStream remembers message ids to drop duplicates. */
  duplicateWindowMs?: number;
  /** How long messages are kept in the streams. */
  maxAgeMs?: number;
  retryBaseMs?: number;
  publishTimeoutMs?: number;
}

/**
 * The production bus on NATS JetStream: file-backed streams and durable pull consumers,
 * created idempotently at start-up; the outbox row id goes out as `Nats-Msg-Id` so JetStream
 * drops duplicates within its window; explicit acks, redelivery after the ack wait, a bounded
 * number of deliveries, then the consumer's dead-letter handler.
 */
export class NatsBus implements EventBus {
  readonly kind = 'nats';
  private connected = true;
  private readonly subscriptions = new Set<NatsSubscription>();

  private constructor(
    private readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsBusOptions,
  ) {
    void this.watchStatus();
  }

  static async open(options: NatsBusOptions): Promise<NatsBus> {
    const connection = await connect({ servers: options.url.split(',').map((server) => server.trim()), maxReconnectAttempts: -1, reconnectTimeWait: 500, name: 'lifeboat' });
    const jsm = await jetstreamManager(connection);
    for (const stream of options.streams ?? lifeboatStreams) {
      const config = {
        name: stream.name,
        subjects: stream.subjects,
        storage: StorageType.File,
        duplicate_window: nanos(options.duplicateWindowMs ?? 2 * 60_000),
        max_age: nanos(options.maxAgeMs ?? 7 * 24 * 3600_000),
      };
      try {
        await jsm.streams.info(stream.name);
        await jsm.streams.update(stream.name, config);
      } catch {
        await jsm.streams.add(config);
      }
    }
    return new NatsBus(connection, jetstream(connection), jsm, options);
  }

  async publish(message: BusMessage): Promise<void> {
    await this.js.publish(message.subject, message.data, { msgID: message.id, timeout: this.options.publishTimeoutMs ?? 5000 });
  }

  async publishBatch(messages: readonly BusMessage[]): Promise<BatchPublished> {
    // All in flight at once: the client writes them to the socket in this order, so JetStream
    // stores them in this order, and one write carries many instead of one round trip each.
    const outcomes = await Promise.allSettled(messages.map((message) => this.publish(message)));
    const firstFailure = outcomes.findIndex((outcome) => outcome.status === 'rejected');
    if (firstFailure === -1) return { accepted: messages.length };
    const reason: unknown = (outcomes[firstFailure] as PromiseRejectedResult).reason;
    return { accepted: firstFailure, failure: reason instanceof Error ? reason : new Error(String(reason)) };
  }

  async consume(options: ConsumerOptions, handler: DeliveryHandler): Promise<Subscription> {
    const stream = this.streamOf(options.subjects);
    const filter = filterFor(options.subjects);
    const config = {
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(options.ackWaitMs ?? defaultAckWaitMs),
      max_deliver: options.maxDeliver ?? 5,
      deliver_policy: DeliverPolicy.All,
      ...(filter ? { filter_subject: filter } : {}),
    };
    try {
      await this.jsm.consumers.info(stream, options.durable);
      await this.jsm.consumers.update(stream, options.durable, config);
    } catch {
      await this.jsm.consumers.add(stream, config);
    }
    const subscription = new NatsSubscription(this.js, stream, options, handler, {
      logger: this.options.logger.child({ consumer: options.durable }),
      retryBaseMs: this.options.retryBaseMs ?? 1000,
      onStopped: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  async isHealthy(): Promise<boolean> {
    return this.connected && !this.connection.isClosed();
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.connection.drain().catch(() => this.connection.close());
  }

  private streamOf(subjects: readonly string[]): string {
    const stream = (this.options.streams ?? lifeboatStreams).find((candidate) => subjects.every((subject) => candidate.subjects.some((pattern) => matches(pattern, subject))));
    if (!stream) throw new Error(`no stream holds all of ${subjects.join(', ')}`);
    return stream.name;
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect') this.connected = false;
      if (status.type === 'reconnect') this.connected = true;
      if (status.type === 'disconnect' || status.type === 'reconnect') this.options.logger.warn({ status: status.type }, 'NATS connection');
    }
  }
}

/**
 * Debian's nats-server (2.9) takes one filter subject per consumer: several subjects are
 * filtered on their common token prefix (`lifeboat.evt.>`), and the subscription acks without
 * handling anything else that matches it.
 */
export function filterFor(subjects: readonly string[]): string | undefined {
  if (subjects.length === 1) return subjects[0];
  const tokens = subjects.map((subject) => subject.split('.'));
  const common: string[] = [];
  for (let i = 0; ; i++) {
    const token = tokens[0]?.[i];
    if (token === undefined || !tokens.every((parts) => parts[i] === token && parts.length > i + 1)) break;
    common.push(token);
  }
  return common.length === 0 ? undefined : `${common.join('.')}.>`;
}

/** NATS subject matching: `*` is one token, `>` the rest. */
function matches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i;
    if (want[i] !== '*' && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}

class NatsSubscription implements Subscription {
  private stopped = false;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly options: ConsumerOptions,
    private readonly handler: DeliveryHandler,
    private readonly context: { logger: Logger; retryBaseMs: number; onStopped: () => void },
  ) {}

  /** `concurrency` workers, each pulling one message at a time: replicas share the consumer evenly. */
  start(): void {
    this.workers = Array.from({ length: this.options.concurrency ?? 1 }, () => this.work());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
    this.context.onStopped();
  }

  private async work(): Promise<void> {
    let consumer: Consumer | undefined;
    while (!this.stopped) {
      let message: JsMsg | null = null;
      try {
        consumer ??= await this.js.consumers.get(this.stream, this.options.durable);
        // A short long-poll: a stop takes at most this long, and a reconnect is noticed soon.
        message = await consumer.next({ expires: 1000 });
      } catch (error) {
        consumer = undefined;
        if (!this.stopped) this.context.logger.debug({ err: error }, 'could not fetch from NATS; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (message) await this.handle(message);
    }
  }

  private async handle(message: JsMsg): Promise<void> {
    if (!this.options.subjects.includes(message.subject)) {
      message.ack();
      return;
    }
    const delivery: Delivery = { id: message.headers?.get('Nats-Msg-Id') ?? String(message.seq), subject: message.subject, data: message.string(), deliveryCount: message.info.deliveryCount };
    // Still working: a handler slower than the ack wait keeps its delivery (see defaultAckWaitMs).
    const keepAlive = setInterval(() => {
      try {
        message.working();
      } catch {
        // The connection is closing: the ack will not get through either, and the delivery comes back.
      }
    }, (this.options.ackWaitMs ?? defaultAckWaitMs) / 3);
    try {
      await this.handler(delivery);
      clearInterval(keepAlive);
      await message.ackAck().catch(() => message.ack());
    } catch (error) {
      clearInterval(keepAlive);
      const maxDeliver = this.options.maxDeliver ?? 5;
      if (delivery.deliveryCount >= maxDeliver) {
        try {
          await this.options.onDeadLetter?.(delivery, error);
        } catch (handlerError) {
          this.context.logger.error({ err: handlerError, messageId: delivery.id }, 'dead-letter handler failed');
        }
        message.term();
        this.context.logger.error({ messageId: delivery.id, subject: delivery.subject, deliveryCount: delivery.deliveryCount }, 'message dead-lettered');
        return;
      }
      const delayMs = Math.min(30_000, this.context.retryBaseMs * 2 ** (delivery.deliveryCount - 1));
      this.context.logger.warn({ err: error, messageId: delivery.id, deliveryCount: delivery.deliveryCount, retryInMs: delayMs }, 'handler failed; will redeliver');
      message.nak(delayMs);
    }
  }
}
