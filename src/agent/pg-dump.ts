import type { Connection, Failure } from '../contracts/index.js';

/**
 * `pg_dump`'s argument list. Custom format (compressed, restorable selectively and in
 * parallel), no password prompt, and the connection given piece by piece: never a connection
 * string, so no password can end up in argv (invariant 7); it arrives as PGPASSWORD.
 */
export function pgDumpArgs(connection: Connection, options: { snapshot?: string } = {}): string[] {
  return [
    '--format=custom',
    '--no-password',
    `--host=${connection.host}`,
    `--port=${connection.port}`,
    `--username=${connection.user}`,
    `--dbname=${connection.database}`,
    // The snapshot the row counts were taken in: the dump holds exactly what the manifest says.
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
    code: 'pg_dump_version_mismatch',
    message: `pg_dump ${tool.text} is older than the server (PostgreSQL ${server.text}); the agent needs pg_dump ${server.major} or newer`,
  };
}
