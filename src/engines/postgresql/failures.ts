import type { Connection, Failure, FailureCode } from '../../contracts/index.js';

/**
 * Turns what went wrong talking to a service's PostgreSQL into a failure a person can act on:
 * one code from the contract, and a message that names where and what to check. Pure.
 */

function target(connection: Connection): string {
  return `${connection.host}:${connection.port}`;
}

function advice(code: FailureCode, connection: Connection): string {
  switch (code) {
    case 'auth_failed':
      return `password authentication failed for user "${connection.user}" at ${target(connection)}; check the service's user and password`;
    case 'connection_refused':
      return `nothing accepted the connection at ${target(connection)}; check that the database is running and that host and port are right`;
    case 'connection_timeout':
      return `connecting to ${target(connection)} timed out; check the host, the port and any firewall between the backup job and the database`;
    case 'host_not_found':
      return `the host name "${connection.host}" does not resolve; check the service's host`;
    case 'database_not_found':
      return `database "${connection.database}" does not exist at ${target(connection)}; check the service's database name`;
    case 'permission_denied':
      return `user "${connection.user}" may not read everything in "${connection.database}"; grant it read access to every table or use a user that has it`;
    case 'lock_timeout':
      return `another session held a lock on "${connection.database}" at ${target(connection)} longer than the job waits for one; see pg_locks / pg_stat_activity for who holds it, or raise LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS`;
    case 'connection_lost':
      return `the connection to ${target(connection)} was lost during the backup; check the database's health and retry`;
    default:
      return `the backup of "${connection.database}" at ${target(connection)} failed`;
  }
}

const socketCodes: Partial<Record<string, FailureCode>> = {
  ECONNREFUSED: 'connection_refused',
  ENOTFOUND: 'host_not_found',
  EAI_AGAIN: 'host_not_found',
  ETIMEDOUT: 'connection_timeout',
  EHOSTUNREACH: 'connection_timeout',
  ENETUNREACH: 'connection_timeout',
  ECONNRESET: 'connection_lost',
  EPIPE: 'connection_lost',
};

const sqlStates: Partial<Record<string, FailureCode>> = {
  '28P01': 'auth_failed',
  '28000': 'auth_failed',
  '3D000': 'database_not_found',
  '42501': 'permission_denied',
  // lock_not_available: lock_timeout ran out (or NOWAIT found the lock held).
  '55P03': 'lock_timeout',
};

/** A failure from an error of the `pg` client (the pre-flight connection). */
export function failureFromClientError(error: unknown, connection: Connection): Failure {
  const fields = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof fields.code === 'string' ? (socketCodes[fields.code] ?? sqlStates[fields.code]) : undefined;
  if (code) return { code, message: advice(code, connection) };
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  if (/timeout/i.test(message)) return { code: 'connection_timeout', message: advice('connection_timeout', connection) };
  if (/password|SASL|SCRAM/i.test(message)) return { code: 'auth_failed', message: advice('auth_failed', connection) };
  return { code: 'dump_failed', message: `${advice('dump_failed', connection)}: ${firstLine(message)}` };
}

const dumpPatterns: [RegExp, FailureCode][] = [
  [/password authentication failed|no password supplied|authentication failed/i, 'auth_failed'],
  [/could not translate host name|Name or service not known|nodename nor servname/i, 'host_not_found'],
  [/Connection refused/i, 'connection_refused'],
  [/timeout expired|timed out/i, 'connection_timeout'],
  [/database ".*" does not exist/i, 'database_not_found'],
  [/permission denied/i, 'permission_denied'],
  // pg_dump's --lock-wait-timeout is a statement_timeout around its LOCK TABLE statements.
  [/canceling statement due to lock timeout|could not obtain lock|canceling statement due to statement timeout[\s\S]*LOCK TABLE/i, 'lock_timeout'],
  [/server closed the connection unexpectedly|connection to server was lost|terminating connection/i, 'connection_lost'],
  [/server version mismatch/i, 'dump_tool_version_mismatch'],
];

/** A failure from what a failed `pg_dump` (or, with `tool`, `pg_restore`) wrote to its standard error. */
export function failureFromDumpOutput(stderr: string, connection: Connection, tool: 'pg_dump' | 'pg_restore' = 'pg_dump'): Failure {
  for (const [pattern, code] of dumpPatterns) {
    if (!pattern.test(stderr)) continue;
    if (code === 'dump_tool_version_mismatch' || code === 'permission_denied') {
      return { code, message: `${advice(code, connection)} (${tool}: ${errorLine(stderr)})` };
    }
    if (code === 'lock_timeout') {
      const locked = /LOCK TABLE (\S+)/.exec(stderr)?.[1];
      return { code, message: `${advice(code, connection)}${locked ? ` (waiting for ${locked})` : ''}` };
    }
    return { code, message: advice(code, connection) };
  }
  const detail = errorLine(stderr);
  if (tool === 'pg_restore') {
    return { code: 'restore_failed', message: `pg_restore failed on "${connection.database}" at ${target(connection)}${detail ? `: ${detail}` : ' without saying why'}` };
  }
  return { code: 'dump_failed', message: `${advice('dump_failed', connection)}${detail ? `: ${detail}` : ' without saying why'}` };
}

/** The tool's own explanation: its first `error:` line, else its last line. */
function errorLine(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const error = lines.find((line) => /error:/i.test(line)) ?? lines.at(-1) ?? '';
  return firstLine(error.replace(/^pg_(dump|restore):\s*(error:\s*)?/i, ''));
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
