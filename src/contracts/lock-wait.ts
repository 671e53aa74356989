import { z } from 'zod';

/** What a running backup's session on the source is waiting for, as its agent last saw it. */
export const lockWaitSchema = z.object({
  relation: z.string().nullable().describe('the table (or other relation) waited on, schema-qualified unless in public; null for a lock on something else'),
  mode: z.string().describe('the lock mode wanted, e.g. ACCESS SHARE'),
  heldBy: z.number().int().nullable().describe('the process id (pid) on the source server of a session holding the lock; null if the server named none'),
  since: z.iso.datetime({ offset: true }).describe('when the wait began'),
  message: z.string().describe('the wait in words: waiting for a lock on "orders" held by pid 123 since …'),
});
export type LockWait = z.infer<typeof lockWaitSchema>;
