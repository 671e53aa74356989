import type { Connection } from './backup-messages.js';

/**
 * What a service's connection may hold, checked at registration, by the orchestrator before it
 * launches a job and by the agent before any tool sees a value: both halves import this one rule.
 *
 * libpq reads a dbname containing `=` (or starting with `postgres://` / `postgresql://`) as a
 * whole connection string whose keywords override host, port and user, so such a name is never
 * a name. Control characters (C0, DEL, C1 such as U+0085) and the invisible bidi and format
 * marks (U+202E and friends) make a name that reads as one thing and is another. A host is a DNS
 * name or an IP literal: never a path (a unix-socket directory), a host list or a URL.
 */
export function connectionProblems(connection: Pick<Connection, 'host' | 'port' | 'database' | 'user'>): string[] {
  const problems: string[] = [];
  const host = hostProblem(connection.host);
  if (host) problems.push(`connection.host ${host}`);
  if (!Number.isInteger(connection.port) || connection.port < 1 || connection.port > 65535) problems.push('connection.port must be a whole number from 1 to 65535');
  for (const field of ['database', 'user'] as const) {
    const problem = nameProblem(connection[field]);
    if (problem) problems.push(`connection.${field} ${problem}`);
  }
  return problems;
}

// C0 controls, DEL, C1 controls (U+0080–U+009F, with U+0085), the Arabic letter mark, the
// left-to-right/right-to-left marks, the line and paragraph separators, the bidi embeddings and
// overrides (U+202A–U+202E), the bidi isolates (U+2066–U+2069) and the byte-order mark.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const invisible = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

/** Why a database or user name is refused, or null. Pure. */
export function nameProblem(value: string): string | null {
  if (value.length === 0) return 'must not be empty';
  if (value.includes('=')) return "must not contain '=' (a name with '=' would be read as connection settings)";
  if (/^postgres(ql)?:\/\//i.test(value)) return 'must be a name, not a postgres:// URI';
  if (invisible.test(value)) return 'must not contain control characters or invisible direction marks';
  if (value.length > 63) return 'must be at most 63 characters (PostgreSQL truncates longer names)';
  if (value.startsWith('-')) return 'must not start with a dash';
  return null;
}

const hostName = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const ipv6Literal = /^\[?[0-9A-Fa-f:.]+\]?$/;

/** Why a host is refused, or null: a DNS name or an IP address, nothing else. Pure. */
export function hostProblem(value: string): string | null {
  if (value.includes('/') || value.startsWith('@')) return 'must be a host name or an IP address, not a path';
  if (value.includes(',')) return 'must be one host, not a list';
  if (hostName.test(value)) return null;
  if (value.includes(':') && ipv6Literal.test(value)) return null;
  return 'must be a host name or an IP address';
}
