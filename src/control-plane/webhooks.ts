import { randomBytes } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Logger } from 'pino';
import type { NetworkPolicy } from '../contracts/network-policy.js';
import { type LookupAll, TargetNotAllowedError } from '../network-policy/network-policy.js';
import { seal, unseal } from '../secrets/sealed-box.js';
import { apiErrors } from './errors.js';
import { newId } from './ids.js';
import type { ControlTables } from './tables.js';
import { postWebhook } from './webhook-post.js';
import { retryDelayMs, signWebhook } from './webhook-signature.js';

export const webhookEvents = ['backup.succeeded', 'backup.failed', 'backup.canceled', 'backup.started', 'restore.succeeded', 'restore.failed', 'restore.started', 'backup.verified', 'backup.verification_failed'] as const;
export type WebhookEvent = (typeof webhookEvents)[number];

type WebhookRow = Selectable<ControlTables['webhooks']>;

export async function createWebhook(db: Kysely<ControlTables>, key: Buffer, input: { projectId: string; url: string; events: WebhookEvent[] }) {
  const id = newId('whk');
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  const row = await db
    .insertInto('webhooks')
    .values({ id, project_id: input.projectId, url: input.url, sealed_secret: seal(key, secret, id), events: input.events, deleted_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, secret };
}

export async function findWebhook(db: Kysely<ControlTables>, webhookId: string): Promise<WebhookRow> {
  const row = await db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!row) throw apiErrors.notFound('webhook', webhookId);
  return row;
}

/**
 * A webhook as the API shows it. A URL's path and query often carry the receiver's own secret,
 * so only owners (and the operator) see it whole; others see where it goes: `https://host/…`.
 */
export function webhookView(row: WebhookRow, detail: { wholeUrl: boolean }) {
  return { id: row.id, projectId: row.project_id, url: detail.wholeUrl ? row.url : urlOutline(row.url), events: row.events, createdAt: row.created_at.toISOString() };
}

function urlOutline(text: string): string {
  const url = new URL(text);
  return `${url.protocol}//${url.host}/…`;
}

/**
 * Queues the event for every webhook of the project that wants it, inside the transaction that
 * applies the event: the deliveries table is the webhooks' outbox.
 */
export async function queueWebhookDeliveries(trx: Kysely<ControlTables>, event: { id: string; type: string; projectId: string; occurredAt: string; data: unknown }): Promise<void> {
  const hooks = await trx
    .selectFrom('webhooks')
    .select('id')
    .where('project_id', '=', event.projectId)
    .where('deleted_at', 'is', null)
    .where(sql<boolean>`${event.type} = any(events)`)
    .execute();
  if (hooks.length === 0) return;
  const payload = JSON.stringify({ id: event.id, type: event.type, occurredAt: event.occurredAt, projectId: event.projectId, data: event.data });
  await trx
    .insertInto('webhook_deliveries')
    .values(hooks.map((hook) => ({ webhook_id: hook.id, event_id: event.id, event_type: event.type, payload, status: 'pending' as const })))
    .onConflict((conflict) => conflict.columns(['webhook_id', 'event_id']).doNothing())
    .execute();
}

export interface WebhookDispatcherOptions {
  db: Kysely<ControlTables>;
  key: Buffer;
  logger: Logger;
  /** Checked again at every delivery, on the address the request then connects to. */
  networkPolicy: NetworkPolicy;
  /** For tests that play a DNS whose answer changes; the system resolver otherwise. */
  lookup?: LookupAll;
  maxAttempts?: number;
  timeoutMs?: number;
  pollIntervalMs?: number;
  retryDelayMs?: (attempts: number) => number;
}

/**
 * Delivers queued webhooks: claims due deliveries (FOR UPDATE SKIP LOCKED, hidden for a lease
 * while in flight), POSTs each signed, and records the answer; failures are retried with
 * exponential back-off until `maxAttempts`, then marked failed.
 */
export class WebhookDispatcher {
  private stopped = true;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: WebhookDispatcherOptions) {}

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Delivers what is due now; returns how many attempts were made. */
  async deliverDue(): Promise<number> {
    const leaseMs = (this.options.timeoutMs ?? 10_000) + 30_000;
    const due = await this.options.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'` })
      .where('id', 'in', (eb) =>
        eb.selectFrom('webhook_deliveries').select('id').where('status', '=', 'pending').where('next_attempt_at', '<=', sql<Date>`now()`).orderBy('id').limit(20).forUpdate().skipLocked(),
      )
      .returningAll()
      .execute();
    await Promise.all(due.map((delivery) => this.attempt(delivery)));
    return due.length;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let attempted = 0;
      try {
        attempted = await this.deliverDue();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'webhook delivery pass failed; will retry');
      }
      if (attempted === 0) await new Promise((resolve) => setTimeout(resolve, this.options.pollIntervalMs ?? 1000));
    }
  }

  private async attempt(delivery: Selectable<ControlTables['webhook_deliveries']>): Promise<void> {
    const hook = await this.options.db.selectFrom('webhooks').selectAll().where('id', '=', delivery.webhook_id).executeTakeFirst();
    const body = JSON.stringify(delivery.payload);
    let status: number | null = null;
    let error: string | null = null;
    let refusal: string | undefined;
    if (!hook || hook.deleted_at) {
      error = 'the webhook was removed';
    } else {
      try {
        status = await postWebhook({
          url: hook.url,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Lifeboat-Webhooks/1',
            'lifeboat-event': delivery.event_type,
            'lifeboat-delivery': String(delivery.id),
            'lifeboat-signature': signWebhook(unseal(this.options.key, hook.sealed_secret, hook.id), body, new Date()),
          },
          body,
          policy: this.options.networkPolicy,
          timeoutMs: this.options.timeoutMs ?? 10_000,
          lookup: this.options.lookup,
        });
        if (status >= 300 && status < 400) error = `the receiver answered ${status}; redirects are not followed`;
        else if (status < 200 || status >= 300) error = `the receiver answered ${status}`;
      } catch (caught) {
        if (caught instanceof TargetNotAllowedError) refusal = caught.reason;
        error = caught instanceof TargetNotAllowedError ? `not sent: ${caught.message}` : `could not reach the receiver: ${(caught as Error).message}`;
      }
    }
    const attempts = delivery.attempts + 1;
    const gaveUp = error !== null && (!hook || hook.deleted_at !== null || attempts >= (this.options.maxAttempts ?? 10));
    await this.options.db
      .updateTable('webhook_deliveries')
      .set({
        attempts,
        last_status: status,
        last_error: error,
        status: error === null ? 'delivered' : gaveUp ? 'failed' : 'pending',
        delivered_at: error === null ? new Date() : null,
        next_attempt_at: new Date(Date.now() + (this.options.retryDelayMs ?? retryDelayMs)(attempts)),
      })
      .where('id', '=', delivery.id)
      .execute();
    if (error) this.options.logger.warn({ deliveryId: delivery.id, webhookId: delivery.webhook_id, attempts, gaveUp, error, refusal }, 'webhook delivery failed');
  }
}

/**
 * A delivery as the API shows it. The receiver's exact answer and the error text can tell about
 * the network behind it, so viewers and members see only its class (`2xx`, `4xx`,
 * `network_error`, …); owners and the operator see the detail.
 */
export function deliveryView(row: Selectable<ControlTables['webhook_deliveries']>, detail: { answers: boolean }) {
  return {
    id: String(row.id),
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastStatusClass: statusClassOf(row),
    lastStatus: detail.answers ? row.last_status : null,
    lastError: detail.answers ? row.last_error : null,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    deliveredAt: row.delivered_at?.toISOString() ?? null,
  };
}

export const deliveryStatusClasses = ['1xx', '2xx', '3xx', '4xx', '5xx', 'network_error'] as const;

function statusClassOf(row: Selectable<ControlTables['webhook_deliveries']>): (typeof deliveryStatusClasses)[number] | null {
  if (row.last_status !== null) return deliveryStatusClasses[Math.min(Math.max(Math.floor(row.last_status / 100), 1), 5) - 1]!;
  return row.last_error === null ? null : 'network_error';
}
