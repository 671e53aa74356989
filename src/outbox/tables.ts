import type { ColumnType, Generated } from 'kysely';

/**
 * Each half of Lifeboat has an outbox (what it has decided to say, written in the same
 * transaction as the decision) and an inbox (what it has already heard, written in the same
 * transaction as its effect). Same layout in both schemas.
 */
export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  type: string;
  subject: string;
  message: ColumnType<unknown, string, string>;
  created_at: Generated<Date>;
  lease_until: Date | null;
  published_at: Date | null;
}

export interface InboxTable {
  message_id: string;
  type: string;
  outcome: string;
  received_at: Generated<Date>;
}

export interface OutboxAndInbox {
  outbox: OutboxTable;
  inbox: InboxTable;
}

/** DDL for a schema's outbox and inbox, for that schema's first migration. */
export function outboxAndInboxStatements(schema: string): string[] {
  return [
    `CREATE TABLE ${schema}.outbox (
      seq bigserial PRIMARY KEY,
      id uuid NOT NULL UNIQUE,
      type text NOT NULL,
      subject text NOT NULL,
      message jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      lease_until timestamptz,
      published_at timestamptz
    )`,
    `CREATE INDEX outbox_unpublished ON ${schema}.outbox (seq) WHERE published_at IS NULL`,
    `CREATE TABLE ${schema}.inbox (
      message_id uuid PRIMARY KEY,
      type text NOT NULL,
      outcome text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now()
    )`,
  ];
}

/** The NOTIFY channel that wakes a schema's relay. */
export function outboxChannel(schema: string): string {
  return `lifeboat_${schema}_outbox`;
}
