import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../../src/bus/embedded.js';
import type { BusMessage, Delivery, EventBus } from '../../src/bus/event-bus.js';
import { subjects } from '../../src/contracts/index.js';
import { markQueued } from '../../src/control-plane/backups.js';
import { OutboxRelay } from '../../src/outbox/relay.js';
import type { ControlTables } from '../../src/control-plane/tables.js';
import { call, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { silentLogger } from '../support/platform-db.js';

/**
 * A real bus that refuses to publish while `down` is set, or accepts only the first
 * `acceptPerBatch` messages of a batch: the faults a relay must survive.
 */
class FlakyBus implements EventBus {
  readonly kind = 'embedded';
  down = false;
  acceptPerBatch: number | undefined;
  constructor(private readonly inner: EventBus) {}
  async publish(message: BusMessage) {
    if (this.down) throw new Error('bus unavailable');
    return this.inner.publish(message);
  }
  async publishBatch(messages: readonly BusMessage[]) {
    if (this.down) return { accepted: 0, failure: new Error('bus unavailable') };
    if (this.acceptPerBatch === undefined || messages.length <= this.acceptPerBatch) return this.inner.publishBatch(messages);
    const { accepted } = await this.inner.publishBatch(messages.slice(0, this.acceptPerBatch));
    return { accepted, failure: new Error('bus refused the rest of the batch') };
  }
  consume: EventBus['consume'] = (options, handler) => this.inner.consume(options, handler);
  isHealthy = () => this.inner.isHealthy();
  close = () => this.inner.close();
}

describe('outbox relay (PostgreSQL)', () => {
  let cp: TestControlPlane | undefined;
  let relay: OutboxRelay<ControlTables> | undefined;
  afterEach(async () => {
    await relay?.stop();
    await cp?.close();
  });

  async function setUp(relayPollIntervalMs = 200) {
    cp = await startTestControlPlane('postgres');
    const bus = new FlakyBus(await EmbeddedBus.open({ database: cp.platform.database, logger: silentLogger, pollIntervalMs: 100 }));
    const received: Delivery[] = [];
    await bus.consume({ durable: 'observer', subjects: [subjects.backupRequested] }, async (delivery) => {
      received.push(delivery);
    });
    relay = new OutboxRelay<ControlTables>({ database: cp.platform.database, schema: 'control', bus, logger: silentLogger, pollIntervalMs: relayPollIntervalMs, afterPublish: markQueued });
    const { serviceId, ownerToken } = await seedProject(cp.app);
    return { cp, bus, received, serviceId, ownerToken };
  }

  const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not reached');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('publishes a new command at once, then marks it published and the backup queued', async () => {
    // A minute between polls: only the request's own wake-up, sent after its commit, can be this quick.
    const { cp, received, serviceId, ownerToken } = await setUp(60_000);
    await relay!.start();
    const created = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
    await until(() => received.length === 1);
    expect(JSON.parse(received[0]!.data)).toMatchObject({ type: 'backup.requested', payload: { backupId: created.body.id } });
    await until(async () => (await call(cp.app, 'GET', `/v1/backups/${created.body.id}`, { token: ownerToken })).body.status === 'queued');
    const rows = await cp.plane.db.selectFrom('outbox').select(['published_at', 'id']).execute();
    expect(rows.every((row) => row.published_at !== null)).toBe(true);
    expect(received[0]!.id).toBe(rows[0]!.id);
  });

  it('marks nothing published while the bus refuses, and catches up when it is back', async () => {
    const { cp, bus, received, serviceId, ownerToken } = await setUp();
    bus.down = true;
    await relay!.start();
    const created = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const pending = await cp.plane.db.selectFrom('outbox').select(['published_at', 'lease_until']).execute();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.published_at).toBeNull();
    expect((await call(cp.app, 'GET', `/v1/backups/${created.body.id}`, { token: ownerToken })).body.status).toBe('requested');

    bus.down = false;
    await until(() => received.length === 1);
    await until(async () => (await cp.plane.db.selectFrom('outbox').select('published_at').executeTakeFirstOrThrow()).published_at !== null);
  });

  it('marks only what the bus accepted of a batch, and publishes the rest, in order, on the next pass', async () => {
    const { cp, bus, received } = await setUp();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { serviceId, ownerToken } = await seedProject(cp.app, `partial-${i}`);
      ids.push((await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken })).body.id);
    }
    bus.acceptPerBatch = 2;
    await expect(relay!.relayPending()).rejects.toThrow('bus refused the rest of the batch');
    const published = await cp.plane.db.selectFrom('outbox').select(['published_at']).orderBy('seq').execute();
    expect(published.map((row) => row.published_at !== null)).toEqual([true, true, false, false, false]);
    const statuses = await cp.plane.db.selectFrom('backups').select(['id', 'status']).where('id', 'in', ids).execute();
    expect(statuses.filter((row) => row.status === 'queued').map((row) => row.id).sort()).toEqual(ids.slice(0, 2).sort());

    bus.acceptPerBatch = undefined;
    expect(await relay!.relayPending()).toBe(3);
    await until(() => received.length >= ids.length);
    expect(received.map((delivery) => JSON.parse(delivery.data).payload.backupId)).toEqual(ids);
  });

  it('does not let two relays publish a row twice', async () => {
    const { cp, bus, received } = await setUp();
    const second = new OutboxRelay<ControlTables>({ database: cp.platform.database, schema: 'control', bus, logger: silentLogger, batchSize: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { serviceId, ownerToken } = await seedProject(cp.app, `relay-${i}`);
      ids.push((await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken })).body.id);
    }
    const counts = await Promise.all([relay!.relayPending(), second.relayPending()]);
    expect(counts[0] + counts[1]).toBe(ids.length);
    await until(() => received.length >= ids.length);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received.map((delivery) => JSON.parse(delivery.data).payload.backupId).sort()).toEqual([...ids].sort());
  });
});
