import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openPlatformDatabase, type PlatformDatabase } from '../db/platform-database.js';
import { openTestPlatformDatabase, silentLogger, type TestPlatformDatabase } from '../../test/support/platform-db.js';
import { EmbeddedBus, publishedNotice, readPublishedNotice } from './embedded.js';
import type { Delivery } from './event-bus.js';

describe('the embedded bus notice', () => {
  it('names the publisher and the subjects it published on', () => {
    const notice = publishedNotice('p-1', ['lifeboat.cmd.backup.requested', 'lifeboat.evt.backup.succeeded']);
    expect(readPublishedNotice(notice)).toEqual({ publisher: 'p-1', subjects: ['lifeboat.cmd.backup.requested', 'lifeboat.evt.backup.succeeded'] });
  });

  it('names no subjects when they would not fit in a NOTIFY, or when there is no payload: every consumer wakes', () => {
    const many = Array.from({ length: 500 }, (_, i) => `lifeboat.evt.subject-${i}`);
    expect(readPublishedNotice(publishedNotice('p-1', many))).toEqual({ publisher: 'p-1', subjects: undefined });
    expect(publishedNotice('p-1', many).length).toBeLessThan(8000);
    expect(readPublishedNotice('')).toEqual({ publisher: '', subjects: undefined });
  });
});

/**
 * With a poll interval far longer than the test, only the wake-ups can deliver: a publish in
 * the same process, and another process's NOTIFY naming the subject.
 */
describe('the embedded bus wakes its consumers', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const item of opened.reverse()) await item.close();
    opened.length = 0;
  });
  const openBus = async (database: PlatformDatabase) => {
    const bus = await EmbeddedBus.open({ database, logger: silentLogger, pollIntervalMs: 600_000 });
    opened.push(bus);
    return bus;
  };
  /** Subscribes, and lets the consumer's first claim find nothing: its loop is asleep when this returns. */
  const firstDelivery = async (bus: EmbeddedBus, subject: string): Promise<{ delivered: Promise<Delivery> }> => {
    let deliver: (delivery: Delivery) => void = () => undefined;
    const delivered = new Promise<Delivery>((resolve) => (deliver = resolve));
    await bus.consume({ durable: `d-${randomUUID()}`, subjects: [subject] }, async (delivery) => deliver(delivery));
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { delivered };
  };

  it('on a publish in the same process', async () => {
    const platform: TestPlatformDatabase = await openTestPlatformDatabase('pglite');
    opened.push(platform);
    const bus = await openBus(platform.database);
    const { delivered } = await firstDelivery(bus, 'test.same');
    await bus.publish({ id: randomUUID(), subject: 'test.same', data: 'one' });
    expect((await delivered).data).toBe('one');
  });

  it('on another process publishing on its subject', async () => {
    const platform: TestPlatformDatabase = await openTestPlatformDatabase('postgres');
    opened.push(platform);
    const database = await openPlatformDatabase({ url: platform.url, dataDir: '/nonexistent', logger: silentLogger });
    opened.push(database);
    const consuming = await openBus(platform.database);
    const publishing = await openBus(database);
    const { delivered } = await firstDelivery(consuming, 'test.elsewhere');
    await publishing.publish({ id: randomUUID(), subject: 'test.elsewhere', data: 'two' });
    expect((await delivered).data).toBe('two');
  });
});
