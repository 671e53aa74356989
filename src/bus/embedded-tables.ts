import type { Generated } from 'kysely';
import type { Migration } from 'kysely';
import { sqlMigration } from '../db/migrations.js';

export const busSchema = 'bus';

/** The embedded bus's storage, in the `bus` schema of the platform database. */
export interface BusTables {
  messages: {
    seq: Generated<number>;
    /** The publisher's message id; a second publish with it is dropped. */
    id: string;
    subject: string;
    data: string;
    published_at: Generated<Date>;
  };
  consumers: {
    name: string;
    subjects: string[];
    created_at: Generated<Date>;
  };
  /** One row per message a durable consumer has not yet acked. */
  deliveries: {
    consumer: string;
    seq: number;
    delivery_count: Generated<number>;
    /** When the message may be handed out (again): now, after an ack wait, or after a back-off. */
    visible_at: Generated<Date>;
    last_error: string | null;
  };
  dead_letters: {
    consumer: string;
    seq: number;
    message_id: string;
    subject: string;
    data: string;
    delivery_count: number;
    last_error: string | null;
    dead_at: Generated<Date>;
  };
}

export const busMigrations: Record<string, Migration> = {
  '0001_initial': sqlMigration(
    `CREATE TABLE bus.messages (
      seq bigserial PRIMARY KEY,
      id text NOT NULL UNIQUE,
      subject text NOT NULL,
      data text NOT NULL,
      published_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE bus.consumers (
      name text PRIMARY KEY,
      subjects text[] NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE bus.deliveries (
      consumer text NOT NULL REFERENCES bus.consumers(name) ON DELETE CASCADE,
      seq bigint NOT NULL REFERENCES bus.messages(seq) ON DELETE CASCADE,
      delivery_count integer NOT NULL DEFAULT 0,
      visible_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      PRIMARY KEY (consumer, seq)
    )`,
    `CREATE INDEX deliveries_ready ON bus.deliveries (consumer, visible_at, seq)`,
    `CREATE TABLE bus.dead_letters (
      consumer text NOT NULL,
      seq bigint NOT NULL,
      message_id text NOT NULL,
      subject text NOT NULL,
      data text NOT NULL,
      delivery_count integer NOT NULL,
      last_error text,
      dead_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, seq)
    )`,
  ),
};
