/**
 * Event bus port, with JetStream's semantics: a message is published under an id (duplicates
 * within the dedup window are dropped), stored durably, and delivered at least once to each
 * durable consumer. A delivery that is not acked within `ackWaitMs` is delivered again; after
 * `maxDeliver` attempts it goes to the consumer's dead-letter handler instead.
 */
export interface BusMessage {
  /** Message id, used for deduplication: the outbox row id. */
  id: string;
  subject: string;
  /** The JSON text of an envelope. */
  data: string;
}

export interface BatchPublished {
  accepted: number;
  failure?: Error;
}

export interface Delivery extends BusMessage {
  /** 1 on first delivery. */
  deliveryCount: number;
}

/**
 * How long a delivery may go without word from its consumer before it is delivered again.
 * JetStream does not notice that a consumer died holding a delivery: only the ack wait brings
 * it back, so it is short. A handler that takes longer is not delivered twice for it: while it
 * runs, its bus tells the server every third of the ack wait that it is still working.
 */
export const defaultAckWaitMs = 10_000;

export interface ConsumerOptions {
  /** Durable consumer name; replicas that share it share the work. */
  durable: string;
  subjects: readonly string[];
  /** Default `defaultAckWaitMs`. */
  ackWaitMs?: number;
  maxDeliver?: number;
  /** How many deliveries this process handles at once. */
  concurrency?: number;
  /** Called once a message has used up its deliveries; it is then dropped from the consumer. */
  onDeadLetter?: (delivery: Delivery, lastError: unknown) => Promise<void>;
}

/**
 * Handles one delivery. Resolving acks it; throwing negatively acknowledges it, so it is
 * delivered again after a back-off.
 */
export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

export interface Subscription {
  /** Stops fetching and waits for handlers in progress. */
  stop(): Promise<void>;
}

export interface EventBus {
  readonly kind: 'embedded' | 'nats';
  /** Resolves once the bus has durably accepted the message (or already had one with this id). */
  publish(message: BusMessage): Promise<void>;
  /**
   * Publishes messages in order, in as few round trips as the bus allows. `accepted` counts the
   * leading messages the bus durably accepted; fewer than all means the next one failed, with
   * `failure` saying why (later ones may have been accepted too: publish them again, the bus
   * drops the duplicates).
   */
  publishBatch(messages: readonly BusMessage[]): Promise<BatchPublished>;
  consume(options: ConsumerOptions, handler: DeliveryHandler): Promise<Subscription>;
  /** True while the bus can accept messages (readiness). */
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}
