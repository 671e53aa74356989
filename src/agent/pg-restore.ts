import { libpqConnectionString, type PinnedTarget } from './postgres-connection.js';

/**
 * `pg_restore`'s argument list (the password arrives as PGPASSWORD, never here; the connection
 * as one string of quoted values, see postgres-connection.ts). Into a new database it restores
 * in parallel, which needs the artifact as a file; in place it drops and recreates each object
 * (`--clean --if-exists`) inside one transaction, so a failure leaves the database as it was.
 * Objects end up owned by the service's user (`--no-owner`).
 */
export function pgRestoreArgs(target: PinnedTarget, options: { database: string; file: string; inPlace: boolean; jobs: number }): string[] {
  const mode = options.inPlace ? ['--clean', '--if-exists', '--single-transaction'] : [`--jobs=${Math.max(1, options.jobs)}`];
  return ['--no-password', '--no-owner', '--exit-on-error', ...mode, `--dbname=${libpqConnectionString(target, options.database)}`, options.file];
}
