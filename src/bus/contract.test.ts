import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openPlatformDatabase } from '../db/platform-database.js';
import { openTestPlatformDatabase, platformKinds, silentLogger, type TestPlatformDatabase } from '../../test/support/platform-db.js';
import { startNatsServer } from '../../test/support/nats-server.js';
import { EmbeddedBus } from './embedded.js';
import { NatsBus } from './nats.js';
import type { ConsumerOptions, Delivery, EventBus } from './event-bus.js';

/**
 * The semantics every bus implementation must have (JetStream's): durable, deduplicated by
 * message id, at-least-once to each durable consumer, redelivery after a failure or an expired
 * ack wait, dead letters after the last attempt.
 */
interface BusUnderTest {
  bus: EventBus;
  /** Another subscriber's view of the same bus: another connection where the storage allows it. */
  peer(): Promise<EventBus>;
  /** Closes `bus` and opens it again over the same storage, as a restarted process would. */
  restart(): Promise<EventBus>;
  close(): Promise<void>;
}

const testStreams = [{ name: 'TEST', subjects: ['test.>', 'other.>'] }];

const natsImplementation = {
  name: 'NATS JetStream',
  async open(): Promise<BusUnderTest> {
    const server = await startNatsServer();
    const options = { url: server.url, logger: silentLogger, streams: testStreams, retryBaseMs: 100 };
    const bus = await NatsBus.open(options);
    const extra: EventBus[] = [];
    const another = async () => {
      const other = await NatsBus.open(options);
      extra.push(other);
      return other;
    };
    return {
      bus,
      peer: another,
      async restart() {
        await bus.close();
        return another();
      },
      async close() {
        for (const item of extra) await item.close();
        await bus.close();
        await server.stop();
      },
    };
  },
};

const embeddedImplementations: { name: string; open(): Promise<BusUnderTest> }[] = platformKinds.map((kind) => ({
  name: `embedded on ${kind}`,
  async open() {
    const platform: TestPlatformDatabase = await openTestPlatformDatabase(kind);
    const options = { logger: silentLogger, pollIntervalMs: 200, retryBaseMs: 100 };
    const bus = await EmbeddedBus.open({ database: platform.database, ...options });
    const extra: { close(): Promise<void> }[] = [];
    return {
      bus,
      async peer() {
        // PGlite has one owner per data dir, so its subscribers share the one instance.
        if (kind === 'pglite') return bus;
        const database = await openPlatformDatabase({ url: platform.url, dataDir: '/nonexistent', logger: silentLogger });
        const other = await EmbeddedBus.open({ database, ...options });
        extra.push({ close: async () => (await other.close(), await database.close()) });
        return other;
      },
      async restart() {
        await bus.close();
        const reopened = await EmbeddedBus.open({ database: platform.database, ...options });
        extra.push(reopened);
        return reopened;
      },
      async close() {
        for (const item of extra) await item.close();
        await bus.close();
        await platform.close();
      },
    };
  },
}));

const implementations = [...embeddedImplementations, natsImplementation];

const message = (subject = 'test.subject', data = 'hello') => ({ id: randomUUID(), subject, data });

/** Collects deliveries until `count` arrived (or the timeout passes). */
function collector() {
  const seen: Delivery[] = [];
  const waiters: (() => void)[] = [];
  return {
    seen,
    handler: async (delivery: Delivery) => {
      seen.push(delivery);
      waiters.splice(0).forEach((wake) => wake());
    },
    async until(count: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${seen.length} of ${count} deliveries arrived`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return seen;
    },
  };
}

const settle = (ms = 600) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(implementations)('event bus contract: $name', (implementation) => {
  let under: BusUnderTest | undefined;
  afterEach(async () => {
    await under?.close();
    under = undefined;
  });
  const open = async () => (under = await implementation.open());
  const consumer = (durable: string, extra: Partial<ConsumerOptions> = {}): ConsumerOptions => ({ durable, subjects: ['test.subject'], ackWaitMs: 1000, ...extra });

  it('delivers what was published, in order, with its id and subject', async () => {
    const { bus } = await open();
    const received = collector();
    await bus.consume(consumer('a'), received.handler);
    const sent = [message(), message(), message()];
    for (const m of sent) await bus.publish(m);
    const seen = await received.until(3);
    expect(seen.map((d) => [d.id, d.subject, d.data, d.deliveryCount])).toEqual(sent.map((m) => [m.id, m.subject, m.data, 1]));
  });

  it('drops a second publish with the same id', async () => {
    const { bus } = await open();
    const received = collector();
    await bus.consume(consumer('a'), received.handler);
    const m = message();
    await bus.publish(m);
    await bus.publish({ ...m, data: 'different' });
    await received.until(1);
    await settle();
    expect(received.seen).toHaveLength(1);
    expect(received.seen[0]?.data).toBe('hello');
  });

  it('gives every durable consumer its own copy, and only of its subjects', async () => {
    const { bus } = await open();
    const first = collector();
    const second = collector();
    await bus.consume(consumer('first'), first.handler);
    await bus.consume(consumer('second', { subjects: ['test.subject', 'other.subject'] }), second.handler);
    await bus.publish(message());
    await bus.publish(message('other.subject'));
    await first.until(1);
    await second.until(2);
    await settle();
    expect(first.seen).toHaveLength(1);
  });

  it('publishes a batch in order to every consumer of each subject, dropping ids it already has', async () => {
    const { bus } = await open();
    const first = collector();
    const both = collector();
    await bus.consume(consumer('first'), first.handler);
    await bus.consume(consumer('both', { subjects: ['test.subject', 'other.subject'] }), both.handler);
    const earlier = message();
    await bus.publish(earlier);
    const batch = [message(), message('other.subject'), { ...earlier, data: 'again' }, message()];
    expect(await bus.publishBatch(batch)).toEqual({ accepted: 4 });
    expect(await bus.publishBatch([])).toEqual({ accepted: 0 });
    await first.until(3);
    await both.until(4);
    await settle();
    expect(first.seen.map((d) => d.id)).toEqual([earlier.id, batch[0]!.id, batch[3]!.id]);
    expect(both.seen.map((d) => d.id)).toEqual([earlier.id, batch[0]!.id, batch[1]!.id, batch[3]!.id]);
    expect(both.seen[0]?.data).toBe('hello');
  });

  it('hands a new durable the messages published before it existed', async () => {
    const { bus } = await open();
    const early = message();
    await bus.publish(early);
    const received = collector();
    await bus.consume(consumer('late'), received.handler);
    expect((await received.until(1))[0]?.id).toBe(early.id);
  });

  it('splits the work of one durable between its subscribers, each message once', async () => {
    // On PostgreSQL the second subscriber has its own connection and is woken by NOTIFY.
    const opened = await open();
    const bus = opened.bus;
    const other = await opened.peer();
    const seen: string[] = [];
    const handler = async (delivery: Delivery) => {
      seen.push(delivery.id);
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const sent = Array.from({ length: 20 }, () => message());
    // An ack wait far beyond the test's length: a redelivery after it would be right, but is not what this checks.
    await bus.consume(consumer('shared', { concurrency: 2, ackWaitMs: 60_000 }), handler);
    await other.consume(consumer('shared', { concurrency: 2, ackWaitMs: 60_000 }), handler);
    for (const m of sent) await bus.publish(m);
    const deadline = Date.now() + 10_000;
    while (seen.length < sent.length && Date.now() < deadline) await settle(100);
    await settle();
    expect(seen.sort()).toEqual(sent.map((m) => m.id).sort());
  });

  it('redelivers after the handler throws, counting deliveries', async () => {
    const { bus } = await open();
    const counts: number[] = [];
    await bus.consume(consumer('flaky'), async (delivery) => {
      counts.push(delivery.deliveryCount);
      if (delivery.deliveryCount === 1) throw new Error('not yet');
    });
    await bus.publish(message());
    const deadline = Date.now() + 10_000;
    while (counts.length < 2 && Date.now() < deadline) await settle(100);
    await settle();
    expect(counts).toEqual([1, 2]);
  });

  it('keeps a delivery whose handler outlives the ack wait: it is still working', async () => {
    const { bus } = await open();
    const counts: number[] = [];
    let finished = 0;
    // Two subscribers, so that a delivery given up on would have somewhere else to go at once.
    const handler = async (delivery: Delivery) => {
      counts.push(delivery.deliveryCount);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      finished++;
    };
    await bus.consume(consumer('slow', { ackWaitMs: 300, concurrency: 2 }), handler);
    await (await under!.peer()).consume(consumer('slow', { ackWaitMs: 300, concurrency: 2 }), handler);
    await bus.publish(message());
    const deadline = Date.now() + 10_000;
    while (finished === 0 && Date.now() < deadline) await settle(100);
    await settle(700);
    expect(counts).toEqual([1]);
  });

  it('dead-letters a message once its deliveries are used up', async () => {
    const { bus } = await open();
    let attempts = 0;
    const dead: { id: string; error: unknown }[] = [];
    const m = message();
    await bus.consume(
      consumer('poisoned', {
        maxDeliver: 3,
        onDeadLetter: async (delivery, error) => {
          dead.push({ id: delivery.id, error });
        },
      }),
      async () => {
        attempts++;
        throw new Error('poison');
      },
    );
    await bus.publish(m);
    const deadline = Date.now() + 15_000;
    while (dead.length === 0 && Date.now() < deadline) await settle(100);
    await settle(1500);
    expect(attempts).toBe(3);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.id).toBe(m.id);
    expect((dead[0]?.error as Error).message).toBe('poison');
  });

  it('waits for handlers in flight when a subscription stops', async () => {
    const { bus } = await open();
    let finished = false;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const subscription = await bus.consume(consumer('stopping'), async () => {
      started();
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished = true;
    });
    await bus.publish(message());
    await running;
    await subscription.stop();
    expect(finished).toBe(true);
  });

  it('keeps unacked messages across a restart and delivers them afterwards', async () => {
    const opened = await open();
    const bus = opened.bus;
    const subscription = await bus.consume(consumer('durable', { ackWaitMs: 200 }), async () => {
      throw new Error('crash before ack');
    });
    const m = message();
    await bus.publish(m);
    await settle(300);
    await subscription.stop();
    const restarted = await opened.restart();
    const received = collector();
    await restarted.consume(consumer('durable', { ackWaitMs: 200 }), received.handler);
    expect((await received.until(1))[0]?.id).toBe(m.id);
  });
});

describe('NATS JetStream across a server restart', () => {
  it('keeps consuming after the server comes back, and rejects publishes while it is down', async () => {
    const server = await startNatsServer();
    const bus = await NatsBus.open({ url: server.url, logger: silentLogger, streams: testStreams, publishTimeoutMs: 1000 });
    try {
      const received = collector();
      await bus.consume({ durable: 'survivor', subjects: ['test.subject'], ackWaitMs: 1000 }, received.handler);
      await bus.publish(message());
      await received.until(1);

      const restarted = server.restart({ downForMs: 1500 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      await expect(bus.publish(message())).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5000);
      await restarted;

      const after = message();
      const deadline = Date.now() + 15_000;
      for (;;) {
        try {
          await bus.publish(after);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      // The publish that timed out may still have reached the server once it was back (the
      // client buffers while reconnecting): a rejection means "not confirmed", which is why the
      // relay retries under the same id. What matters is that consumption resumed.
      const until = Date.now() + 15_000;
      while (!received.seen.some((delivery) => delivery.id === after.id)) {
        if (Date.now() > until) throw new Error('the subscription did not resume after the restart');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await bus.isHealthy()).toBe(true);
    } finally {
      await bus.close();
      await server.stop();
    }
  });
});
