import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * Every command and event travels in this envelope. `id` is the outbox row id and the bus
 * message id, so a consumer's inbox dedups on it.
 */
export function envelopeOf<Type extends string, Payload extends z.ZodType>(type: Type, payload: Payload) {
  return z.object({
    id: z.uuid(),
    type: z.literal(type),
    version: z.literal(1),
    occurredAt: z.iso.datetime({ offset: true }),
    correlationId: z.string().min(1).max(200),
    projectId: z.string().min(1).max(200),
    payload,
  });
}

export interface EnvelopeFields {
  correlationId: string;
  projectId: string;
}

/** Builds an envelope with a fresh id; the caller stores it in its outbox. */
export function envelope<Type extends string, Payload>(
  type: Type,
  fields: EnvelopeFields,
  payload: Payload,
  now: Date = new Date(),
) {
  return {
    id: randomUUID(),
    type,
    version: 1 as const,
    occurredAt: now.toISOString(),
    correlationId: fields.correlationId,
    projectId: fields.projectId,
    payload,
  };
}
