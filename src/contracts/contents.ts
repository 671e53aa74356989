import { z } from 'zod';

/**
 * What a backup holds, taken when it was made, in the same snapshot as the dump: inspecting a
 * backup costs no download, and a restore drill can check every table against it.
 */
export const backupContents = z.object({
  serverVersion: z.string(),
  toolVersion: z.string(),
  capturedAt: z.iso.datetime({ offset: true }),
  schemas: z.array(z.string()),
  tables: z.array(z.object({ schema: z.string(), name: z.string(), rows: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() })),
  extensions: z.array(z.object({ name: z.string(), version: z.string() })),
});
export type BackupContents = z.infer<typeof backupContents>;
