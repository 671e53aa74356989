import pg from 'pg';
import type { LockWait } from '../../contracts/index.js';
import { pgClientConfig } from './connection.js';
import { type PinnedTarget } from '../../agent/pinned-target.js';
import { sessionOptions } from './source-session.js';

/** One ungranted lock of the backup's sessions, as the catalog shows it. */
export interface WaitingLock {
  schema: string | null;
  relation: string | null;
  locktype: string;
  /** As pg_locks names it: `AccessShareLock`. */
  mode: string;
  blockers: number[];
  since: Date;
}

/** `AccessShareLock` → `ACCESS SHARE`: the mode as LOCK TABLE and the documentation spell it. */
export function lockModeName(mode: string): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

/** The wait as the backup's live state shows it; null when nothing waits. */
export function describeLockWait(lock: WaitingLock | undefined): LockWait | null {
  if (!lock) return null;
  const relation = lock.relation === null ? null : lock.schema === null || lock.schema === 'public' ? lock.relation : `${lock.schema}.${lock.relation}`;
  const heldBy = lock.blockers[0] ?? null;
  const what = relation === null ? `a ${lock.locktype} lock` : `a lock on "${relation}"`;
  const holder = heldBy === null ? '' : ` held by pid ${heldBy}${lock.blockers.length > 1 ? ` (and ${lock.blockers.length - 1} more)` : ''}`;
  const since = lock.since.toISOString();
  return { relation, mode: lockModeName(lock.mode), heldBy, since, message: `waiting for ${what}${holder} since ${since} (${lockModeName(lock.mode)} wanted)` };
}

/** Two views of a wait are the same wait unless what is waited on, or for whom, changed. */
export function sameLockWait(a: LockWait | null, b: LockWait | null): boolean {
  if (a === null || b === null) return a === b;
  return a.relation === b.relation && a.mode === b.mode && a.heldBy === b.heldBy && a.since === b.since;
}

/**
 * The oldest ungranted lock of the sessions named `applicationName`, with the sessions that
 * block it (`pg_blocking_pids`). pg_locks and pg_blocking_pids are readable by any role, and a
 * role sees its own sessions in pg_stat_activity: no privilege beyond the backup's is needed.
 */
const waitingLockQuery = `
  select n.nspname as schema, c.relname as relation, l.locktype, l.mode, pg_blocking_pids(a.pid) as blockers,
    coalesce(l.waitstart, a.query_start, now()) as since
  from pg_stat_activity a
  join pg_locks l on l.pid = a.pid and not l.granted
  left join pg_class c on l.locktype = 'relation' and c.oid = l.relation
    and l.database = (select oid from pg_database where datname = current_database())
  left join pg_namespace n on n.oid = c.relnamespace
  where a.application_name = $1 and a.pid <> pg_backend_pid()
  order by since, a.pid
  limit 1`;

export interface LockWatchOptions {
  target: PinnedTarget;
  password: string | undefined;
  applicationName: string;
  /** Told each change: the new wait, or null once it ended. */
  onChange: (wait: LockWait | null) => void;
  intervalMs?: number;
}

/**
 * Watches, from a connection of its own, whether the backup's sessions wait on a lock, and says
 * so each time that changes. The connection opens only at the first look, one interval in: a
 * backup that is done by then (most small ones) costs no connection. A look that fails is
 * skipped; the watch is advisory and never fails the backup.
 */
export class LockWatch {
  private client: pg.Client | undefined;
  private current: LockWait | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private looking: Promise<void> = Promise.resolve();

  constructor(private readonly options: LockWatchOptions) {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.looking = this.look().finally(() => this.schedule());
    }, this.options.intervalMs ?? 1000);
  }

  private async look(): Promise<void> {
    try {
      const client = await this.connected();
      if (this.stopped) return;
      const { rows } = await client.query<WaitingLock>(waitingLockQuery, [this.options.applicationName]);
      if (this.stopped) return;
      this.report(describeLockWait(rows[0]));
    } catch {
      // A look that failed (the server busy, the connection gone): the next one tries again.
      await this.dropClient();
    }
  }

  private report(wait: LockWait | null): void {
    if (sameLockWait(wait, this.current)) return;
    this.current = wait;
    this.options.onChange(wait);
  }

  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ ...pgClientConfig(this.options.target, this.options.password, 'lifeboat-lock-watch'), options: sessionOptions({ lockTimeoutMs: 5000, statementTimeoutMs: 5000 }) });
    client.on('error', () => undefined);
    this.client = client;
    await client.connect();
    return client;
  }

  private async dropClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Stops watching and closes the connection; a wait still shown is reported as ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.looking;
    await this.dropClient();
    this.report(null);
  }
}
