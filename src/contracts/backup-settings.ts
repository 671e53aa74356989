import { z } from 'zod';

// PostgreSQL names are at most 63 bytes: "schema.table" is never longer than this.
const maxExcludedNameLength = 127;
const maxExcludedTables = 100;

/** A name from `excludeTables`: "schema.table" or "table", as the catalog spells it (case and all). */
const excludedTableName = z
  .string()
  .min(1)
  .max(maxExcludedNameLength)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), 'must not contain control characters');

/**
 * What a service's backups leave out. Stored with the service; every backup command carries it,
 * so a backup is made with the settings it was requested under.
 */
export const serviceBackupSettings = z.object({
  skipUnreadable: z
    .boolean()
    .default(false)
    .describe("leave out the tables, sequences, schemas and large objects the service's user may not read (listed in the backup's contents as excluded) instead of failing with permission_denied"),
  excludeTables: z
    .array(excludedTableName)
    .max(maxExcludedTables)
    .default([])
    .describe(`tables (or sequences, views) the backups leave out: "schema.table", or "table" for that name in any schema; exact and case-sensitive, no wildcards; at most ${maxExcludedTables}`),
});
export type ServiceBackupSettings = z.infer<typeof serviceBackupSettings>;

/** The settings stored with a service (`{}` before any was set: the defaults). */
export function backupSettingsOf(stored: unknown): ServiceBackupSettings {
  return serviceBackupSettings.parse(stored ?? {});
}
