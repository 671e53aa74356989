import type { Failure } from '../../contracts/index.js';
import { libpqConnectionString } from './connection.js';
import { type PinnedTarget } from '../../agent/pinned-target.js';

/**
 * `pg_dump`'s argument list. Custom format (compressed, restorable selectively and in
 * parallel), no password prompt, and the connection as one string of quoted values
 * (postgres-connection.ts): no user value can add a setting, and no password is in argv
 * (invariant 7); it arrives as PGPASSWORD. A lock it waits for longer than `lockWaitTimeoutMs`
 * fails the dump (`lock_timeout`) instead of holding it to the job's deadline.
 */
export function pgDumpArgs(target: PinnedTarget, options: { snapshot?: string; lockWaitTimeoutMs?: number } = {}): string[] {
  return [
    '--format=custom',
    '--no-password',
    `--dbname=${libpqConnectionString(target)}`,
    ...(options.lockWaitTimeoutMs ? [`--lock-wait-timeout=${options.lockWaitTimeoutMs}`] : []),
    // The snapshot the row counts were taken in: the dump holds exactly what the manifest says.
    // Importing it also proves pg_dump reached the server and database the pre-flight checked.
    ...(options.snapshot ? [`--snapshot=${options.snapshot}`] : []),
  ];
}

export interface ToolVersion {
  major: number;
  /** As printed, e.g. `15.20` or `16beta1`. */
  text: string;
}

/** Reads `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`; old versions have two-part majors (9.6). */
export function parsePgDumpVersion(output: string): ToolVersion | null {
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?([a-z]+\d*)?/.exec(output);
  if (!match) return null;
  const [, first, second, suffix] = match;
  const major = Number(first) < 10 && second !== undefined ? Number(`${first}.${second}`) : Number(first);
  return { major, text: `${first}${second !== undefined ? `.${second}` : ''}${suffix ?? ''}` };
}

/** The server's major version from `server_version_num` (150020 → 15; 90624 → 9.6). */
export function serverMajorOf(versionNum: number): number {
  return versionNum >= 100000 ? Math.floor(versionNum / 10000) : Math.floor(versionNum / 10000) + Math.floor((versionNum % 10000) / 100) / 10;
}

/** pg_dump refuses (or worse, misreads) servers newer than itself: check first, with both versions named. */
export function checkPgDumpVersion(tool: ToolVersion, server: { major: number; text: string }): Failure | null {
  if (tool.major >= server.major) return null;
  return {
    code: 'dump_tool_version_mismatch',
    message: `pg_dump ${tool.text} is older than the server (PostgreSQL ${server.text}); the agent needs pg_dump ${server.major} or newer`,
  };
}
