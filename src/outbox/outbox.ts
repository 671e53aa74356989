import { type Kysely, sql } from 'kysely';
import { subjectOf } from '../contracts/subjects.js';
import { type OutboxAndInbox, outboxChannel } from './tables.js';

interface Envelope {
  id: string;
  type: string;
}

/** The outbox row of a message, for callers that write it as part of a larger statement (see enqueue). */
export function outboxRow(message: Envelope) {
  return { id: message.id, type: message.type, subject: subjectOf(message.type), message: JSON.stringify(message), lease_until: null, published_at: null };
}

/**
 * Wakes the schema's relays once the transaction commits: RETURN it from the statement that
 * writes outbox rows. The NOTIFY makes the transaction hold PostgreSQL's notify lock through
 * its commit, so such transactions commit one at a time: right for occasional writes and
 * batches; a path that writes many concurrent transactions wakes the relays after its commits
 * instead (PlatformDatabase.notify).
 */
export function notifyRelayAtCommit(schema: string) {
  return sql<string>`pg_notify(${outboxChannel(schema)}, '')`.as('relay_woken');
}

/**
 * Writes a message to the outbox. Call it inside the transaction that makes the decision the
 * message announces: both commit or neither does. The NOTIFY is delivered at commit and wakes
 * the relay at once; it rides on the insert, so this is one round trip. Name the caller's table
 * map explicitly (`enqueue<ControlTables>(trx, …)`): TypeScript cannot infer it through
 * Kysely's Transaction type.
 */
export async function enqueue<Tables extends OutboxAndInbox>(trx: Kysely<Tables>, schema: string, message: Envelope): Promise<void> {
  await own(trx).insertInto('outbox').values(outboxRow(message)).returning(notifyRelayAtCommit(schema)).execute();
}

/**
 * Records that a message was received. Returns false if it was already recorded: the caller
 * then skips its effect. Call it inside the transaction that applies the effect, so a crash
 * before commit leaves the message unrecorded and its redelivery applies it.
 */
export async function receiveOnce<Tables extends OutboxAndInbox>(trx: Kysely<Tables>, message: Envelope, outcome: string): Promise<boolean> {
  const inserted = await own(trx)
    .insertInto('inbox')
    .values({ message_id: message.id, type: message.type, outcome })
    .onConflict((conflict) => conflict.column('message_id').doNothing())
    .returning('message_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Replaces the outcome recorded by `receiveOnce` once the effect is known (same transaction). */
export async function recordOutcome<Tables extends OutboxAndInbox>(trx: Kysely<Tables>, messageId: string, outcome: string): Promise<void> {
  await own(trx).updateTable('inbox').set({ outcome }).where('message_id', '=', messageId).execute();
}

/** Kysely's types are invariant in the table map; a schema that has these tables can be used as one that has only them. */
function own<Tables extends OutboxAndInbox>(db: Kysely<Tables>): Kysely<OutboxAndInbox> {
  return db as unknown as Kysely<OutboxAndInbox>;
}
