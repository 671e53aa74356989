import { type Kysely, type Selectable, sql } from 'kysely';
import { backupView } from './backups.js';
import { restoreView } from './restores.js';
import type { ControlTables } from './tables.js';

export interface LiveChange {
  /** The change time at the database's precision (microseconds), as text: the event's id. */
  at: string;
  event: 'backup' | 'restore';
  data: ReturnType<typeof backupView> | ReturnType<typeof restoreView>;
}

type ChangedRow<Table extends 'backups' | 'restores'> = Selectable<ControlTables[Table]> & { changed_at: string };

/** A change time as text, like `at`: a JS Date would round it down and send a change again forever. */
const changedAt = sql<string>`to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const changeTimePattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** How far back a reconnecting client's Last-Event-ID may reach: older changes are not replayed. */
export const replayWindowSeconds = 3600;

/** A time as a change time (microseconds, as text). */
export function changeTimeOf(date: Date): string {
  return date.toISOString().replace('Z', '000Z');
}

/**
 * Where a live view starts: after the client's Last-Event-ID, but never further back than the
 * replay window (an old or forged id would otherwise read a project's whole history) nor later
 * than now (a future id would hide every change until then). No id, or not one of ours: now.
 */
export function resumeCursor(lastEventId: string | undefined, now: Date, windowSeconds = replayWindowSeconds): string {
  const current = changeTimeOf(now);
  if (lastEventId === undefined || !changeTimePattern.test(lastEventId) || Number.isNaN(Date.parse(lastEventId.slice(0, 23) + 'Z'))) return current;
  const oldest = changeTimeOf(new Date(now.getTime() - windowSeconds * 1000));
  if (lastEventId < oldest) return oldest;
  return lastEventId > current ? current : lastEventId;
}

/** A change time `seconds` before `at`, in the same text form. */
function before(at: string, seconds: number): string {
  return changeTimeOf(new Date(Date.parse(`${at.slice(0, 23)}Z`) - seconds * 1000));
}

/**
 * The changes to one project's backups and restores that a live view has not sent yet, read
 * from the database on each call to `next`. A row's change time is its transaction's start
 * (`now()`), so a change can commit after a later-stamped one was already read: each call reads
 * from `lateCommitSeconds` behind the cursor, leaving out what it has sent (one query per
 * table). Up to `pageSize` changes of each kind per call, oldest first; the cursor moves only as
 * far as every kind has been read, so a long backlog is read in order over several calls. A
 * client that reconnects from its last event may get the changes of those seconds again.
 */
export class LiveChanges {
  /** `<id> <change time>` of the changes sent within the look-back window, per table. */
  private readonly sent = { backups: new Set<string>(), restores: new Set<string>() };

  constructor(
    private readonly db: Kysely<ControlTables>,
    private readonly projectId: string,
    /** The change time to start after (a reconnecting client's Last-Event-ID). */
    private cursor: string,
    private readonly options: { pageSize: number; lateCommitSeconds: number } = { pageSize: 500, lateCommitSeconds: 10 },
  ) {}

  async next(): Promise<LiveChange[]> {
    const [backups, restores] = await Promise.all([this.read('backups'), this.read('restores')]);
    // A kind cut off at a full page has more to come: nothing later than its last change goes out yet.
    const horizon = [backups, restores]
      .filter((rows) => rows.length === this.options.pageSize)
      .map((rows) => rows.at(-1)!.changed_at)
      .sort()[0];
    const changes = [
      ...backups.map((row) => ({ at: row.changed_at, event: 'backup' as const, id: row.id, data: backupView(row) })),
      ...restores.map((row) => ({ at: row.changed_at, event: 'restore' as const, id: row.id, data: restoreView(row) })),
    ]
      .filter((change) => horizon === undefined || change.at <= horizon)
      .sort((a, b) => a.at.localeCompare(b.at));
    for (const change of changes) {
      this.sent[change.event === 'backup' ? 'backups' : 'restores'].add(`${change.id} ${change.at}`);
      if (change.at > this.cursor) this.cursor = change.at;
    }
    this.forgetBefore(before(this.cursor, this.options.lateCommitSeconds));
    return changes.map(({ at, event, data }) => ({ at, event, data }));
  }

  /** The oldest changes of one table since the look-back window began that have not been sent. */
  private async read<Table extends 'backups' | 'restores'>(table: Table): Promise<ChangedRow<Table>[]> {
    // Both tables have the columns used here; Kysely cannot type a query over either, so it is
    // built for one and its rows typed for the table asked for.
    const rows = await this.db
      .selectFrom(table as 'backups')
      .selectAll()
      .select(changedAt.as('changed_at'))
      .where('project_id', '=', this.projectId)
      .where(sql<boolean>`updated_at > ${before(this.cursor, this.options.lateCommitSeconds)}::timestamptz`)
      .where(sql<boolean>`NOT (id || ' ' || ${changedAt} = ANY (${[...this.sent[table]]}::text[]))`)
      .orderBy('updated_at')
      .limit(this.options.pageSize)
      .execute();
    return rows as unknown as ChangedRow<Table>[];
  }

  private forgetBefore(cutoff: string): void {
    for (const keys of Object.values(this.sent)) {
      for (const key of keys) if (key.slice(key.indexOf(' ') + 1) < cutoff) keys.delete(key);
    }
  }
}
