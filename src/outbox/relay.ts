import { type Kysely, type Selectable, sql } from 'kysely';
import type { Logger } from 'pino';
import { WakeSignal } from '../polling/wake-signal.js';
import type { EventBus } from '../bus/event-bus.js';
import { type PlatformDatabase, schemaView } from '../db/platform-database.js';
import { type OutboxAndInbox, type OutboxTable, outboxChannel } from './tables.js';

type OutboxRow = Selectable<OutboxTable>;

export interface PublishedMessage {
  id: string;
  type: string;
  message: unknown;
}

export interface OutboxRelayOptions<Tables extends OutboxAndInbox> {
  database: PlatformDatabase;
  schema: string;
  bus: EventBus;
  logger: Logger;
  /** Fallback poll when no NOTIFY arrives (a missed one, or a row whose lease expired). */
  pollIntervalMs?: number;
  batchSize?: number;
  /** How long a claimed batch stays invisible to other relays if this one dies mid-batch. */
  leaseMs?: number;
  /** How long published rows are kept for inspection before they are deleted. */
  retainPublishedMs?: number;
  /** Runs in the transaction that marks messages published (the control plane moves backups to `queued` here). */
  afterPublish?: (trx: Kysely<Tables>, published: PublishedMessage[]) => Promise<void>;
  onPublished?: (count: number) => void;
}

/**
 * Moves outbox rows to the bus. Rows are claimed with FOR UPDATE SKIP LOCKED and a lease, so
 * any number of relays (one per replica) share the work without publishing a row twice in the
 * normal case; publishing happens outside any transaction (PGlite has one connection), and a
 * row is marked published only after the bus has accepted it. A crash between the two
 * publishes the row again after its lease: consumers dedup on the message id.
 */
export class OutboxRelay<Tables extends OutboxAndInbox = OutboxAndInbox> {
  private readonly db: Kysely<OutboxAndInbox>;
  private readonly wakeSignal = new WakeSignal();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private lastPrune = 0;

  constructor(private readonly options: OutboxRelayOptions<Tables>) {
    this.db = schemaView<OutboxAndInbox>(options.database, options.schema);
  }

  async start(): Promise<void> {
    this.unlisten = await this.options.database.listen(outboxChannel(this.options.schema), () => this.wakeSignal.notify());
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeSignal.notify();
    await this.loop;
    await this.unlisten?.();
  }

  /** Publishes what is pending now; returns how many messages went out. */
  async relayPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const { published, complete } = await this.relayBatch();
      total += published;
      if (published > 0) this.options.onPublished?.(published);
      if (complete) return total;
    }
  }

  private async run(): Promise<void> {
    const pollIntervalMs = this.options.pollIntervalMs ?? 1000;
    while (!this.stopping) {
      try {
        await this.relayPending();
        await this.pruneOccasionally();
      } catch (error) {
        this.options.logger.warn({ err: error, schema: this.options.schema }, 'outbox relay could not publish; will retry');
      }
      if (this.stopping) break;
      await this.wakeSignal.sleep(pollIntervalMs);
    }
  }

  private async relayBatch(): Promise<{ published: number; complete: boolean }> {
    const batchSize = this.options.batchSize ?? 100;
    const rows = await this.claim(batchSize);
    if (rows.length === 0) return { published: 0, complete: true };
    let accepted = 0;
    try {
      const outcome = await this.options.bus.publishBatch(rows.map((row) => ({ id: row.id, subject: row.subject, data: JSON.stringify(row.message) })));
      accepted = outcome.accepted;
      if (outcome.failure !== undefined) throw outcome.failure;
    } finally {
      await this.settle(rows, rows.slice(0, accepted));
    }
    return { published: accepted, complete: rows.length < batchSize };
  }

  private async claim(limit: number): Promise<OutboxRow[]> {
    const leaseMs = this.options.leaseMs ?? 30_000;
    const rows = await this.db
      .updateTable('outbox')
      .set({ lease_until: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'` })
      .where('seq', 'in', (eb) =>
        eb
          .selectFrom('outbox')
          .select('seq')
          .where('published_at', 'is', null)
          .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', sql<Date>`now()`)]))
          .orderBy('seq')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute();
    return rows.sort((a, b) => a.seq - b.seq);
  }

  /** Marks what went out as published and releases the rest for the next attempt. */
  private async settle(claimed: OutboxRow[], published: OutboxRow[]): Promise<void> {
    const publishedIds = published.map((row) => row.id);
    const unpublishedIds = claimed.filter((row) => !publishedIds.includes(row.id)).map((row) => row.id);
    if (claimed.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      if (publishedIds.length > 0) {
        await trx.updateTable('outbox').set({ published_at: sql<Date>`now()`, lease_until: null }).where('id', 'in', publishedIds).execute();
        await this.options.afterPublish?.(
          trx as unknown as Kysely<Tables>,
          published.map((row) => ({ id: row.id, type: row.type, message: row.message })),
        );
      }
      if (unpublishedIds.length > 0) {
        await trx.updateTable('outbox').set({ lease_until: null }).where('id', 'in', unpublishedIds).execute();
      }
    });
  }

  private async pruneOccasionally(): Promise<void> {
    const retainMs = this.options.retainPublishedMs ?? 7 * 24 * 3600 * 1000;
    if (Date.now() - this.lastPrune < 10 * 60 * 1000) return;
    this.lastPrune = Date.now();
    await this.db
      .deleteFrom('outbox')
      .where('published_at', '<', sql<Date>`now() - ${retainMs} * interval '1 millisecond'`)
      .execute();
  }
}
