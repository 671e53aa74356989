import { libpqConnectionString } from './connection.js';
import { type PinnedTarget } from '../../agent/pinned-target.js';

/**
 * The argument lists of the PostgreSQL restore tools (the password arrives as PGPASSWORD, never
 * here; the connection as one string of quoted values, see postgres-connection.ts). Objects
 * end up owned by the service's user (`--no-owner`).
 */

/** Into a new database: in parallel, which needs the artifact as a file. */
export function pgRestoreArgs(target: PinnedTarget, options: { database: string; file: string; jobs: number }): string[] {
  return ['--no-password', '--no-owner', '--exit-on-error', `--jobs=${Math.max(1, options.jobs)}`, `--dbname=${libpqConnectionString(target, options.database)}`, options.file];
}

/**
 * In place: pg_restore writes the restore as one SQL script (every object dropped if it exists
 * and recreated, between one BEGIN and one COMMIT), which psql runs; the objects not in the
 * backup are dropped inside that same transaction (in-place-restore.ts).
 */
export function pgRestoreScriptArgs(file: string): string[] {
  return ['--no-owner', '--exit-on-error', '--clean', '--if-exists', '--single-transaction', '--file=-', file];
}

/** The artifact's table of contents; without a file, read from standard input. */
export function pgRestoreListArgs(file?: string): string[] {
  return ['--list', ...(file ? [file] : [])];
}

/** psql running a script from standard input, stopping at its first error; no ~/.psqlrc. */
export function psqlArgs(target: PinnedTarget): string[] {
  return ['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', `--dbname=${libpqConnectionString(target)}`, '--file=-'];
}
