import type { z } from 'zod';

/**
 * Reads a message from the bus against its contract. A message that is not JSON or does not
 * match is reported, not thrown: redelivering it would never make it valid.
 */
export function decodeMessage<Schema extends z.ZodType>(schema: Schema, data: string): { ok: true; message: z.infer<Schema> } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') };
  return { ok: true, message: parsed.data };
}
