import { z } from 'zod';

/**
 * What a backup holds, taken when it was made, in the same snapshot as the dump: inspecting a
 * backup costs no download, and a restore drill can check every table against it.
 */
export const backupContents = z.object({
  serverVersion: z.string().describe('the version of the server dumped'),
  toolVersion: z.string().describe('the version of the dump tool'),
  capturedAt: z.iso.datetime({ offset: true }).describe('when the snapshot was taken'),
  schemas: z.array(z.string()).describe('the schemas in the artifact'),
  tables: z
    .array(
      z.object({
        schema: z.string().describe("the table's schema"),
        name: z.string().describe("the table's name"),
        rows: z.number().int().nonnegative().describe("rows, counted in the dump's snapshot"),
        bytes: z.number().int().nonnegative().describe('size on the server, in bytes'),
      }),
    )
    .describe('the tables in the artifact'),
  extensions: z.array(z.object({ name: z.string().describe('extension name'), version: z.string().describe('its version') })).describe('the extensions installed'),
});
export type BackupContents = z.infer<typeof backupContents>;
