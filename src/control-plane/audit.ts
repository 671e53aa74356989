import type { Kysely, Selectable } from 'kysely';
import type { ControlTables } from './tables.js';

/**
 * Who did what, when, to which object. Written in the same transaction as the action, so the
 * record and the deed cannot disagree. Actors: `admin`, `token:<id>`, `scheduler`, `system`.
 */
export type AuditAction =
  | 'backup.requested'
  | 'backup.started'
  | 'backup.succeeded'
  | 'backup.failed'
  | 'backup.canceled'
  | 'backup.cancel_requested'
  | 'backup.download_url_issued'
  | 'backup.deleted'
  | 'backup.expired'
  | 'backup.verify_requested'
  | 'backup.verified'
  | 'backup.verification_failed'
  | 'restore.requested'
  | 'restore.started'
  | 'restore.succeeded'
  | 'restore.failed'
  | 'artifact.deleted'
  | 'service.registered'
  | 'service.removed'
  | 'service.connection_tested'
  | 'service.archived'
  | 'service.updated'
  | 'service.purged'
  | 'schedule.set'
  | 'schedule.removed'
  | 'token.issued'
  | 'token.revoked'
  | 'webhook.created'
  | 'webhook.deleted'
  | 'kill_switch.engaged'
  | 'kill_switch.released';

export interface AuditEntry {
  projectId: string | null;
  actor: string;
  action: AuditAction;
  target: { kind: string; id: string };
  details?: Record<string, unknown>;
}

/** The audit row of an entry, for callers that write it as part of a larger statement. */
export function auditRow(entry: AuditEntry) {
  return {
    project_id: entry.projectId,
    actor: entry.actor,
    action: entry.action,
    target_kind: entry.target.kind,
    target_id: entry.target.id,
    details: JSON.stringify(entry.details ?? {}),
  };
}

export async function recordAudit(db: Kysely<ControlTables>, entry: AuditEntry): Promise<void> {
  await db.insertInto('audit_events').values(auditRow(entry)).execute();
}

export interface AuditQuery {
  /** Undefined: every project (admin only). */
  projectId: string | undefined;
  targetId?: string;
  action?: string;
  actor?: string;
  since?: Date;
  until?: Date;
  /** The `id` of the last entry of the previous page. */
  before?: number;
  limit: number;
}

/** Newest first, a page at a time. */
export async function listAudit(db: Kysely<ControlTables>, query: AuditQuery): Promise<{ entries: Selectable<ControlTables['audit_events']>[]; nextCursor: string | null }> {
  let select = db.selectFrom('audit_events').selectAll();
  if (query.projectId !== undefined) select = select.where('project_id', '=', query.projectId);
  if (query.targetId) select = select.where('target_id', '=', query.targetId);
  if (query.action) select = select.where('action', '=', query.action);
  if (query.actor) select = select.where('actor', '=', query.actor);
  if (query.since) select = select.where('at', '>=', query.since);
  if (query.until) select = select.where('at', '<', query.until);
  if (query.before !== undefined) select = select.where('id', '<', query.before);
  const rows = await select.orderBy('id', 'desc').limit(query.limit + 1).execute();
  const entries = rows.slice(0, query.limit);
  return { entries, nextCursor: rows.length > query.limit ? String(entries.at(-1)!.id) : null };
}

/**
 * The names a person knows the entries' objects by: a service's name, and for a backup or a
 * restore the name of its service. Two reads for a page, whatever its length.
 */
export async function targetNames(db: Kysely<ControlTables>, rows: readonly Selectable<ControlTables['audit_events']>[]): Promise<Map<string, string>> {
  const idsOf = (kind: string) => [...new Set(rows.filter((row) => row.target_kind === kind).map((row) => row.target_id))];
  const names = new Map<string, string>();
  const services = idsOf('service');
  if (services.length > 0) for (const row of await db.selectFrom('services').select(['id', 'name']).where('id', 'in', services).execute()) names.set(row.id, row.name);
  for (const [kind, table] of [
    ['backup', 'backups'],
    ['restore', 'restores'],
  ] as const) {
    const ids = idsOf(kind);
    if (ids.length === 0) continue;
    const found = await db.selectFrom(table).innerJoin('services', 'services.id', `${table}.service_id`).select([`${table}.id as id`, 'services.name as name']).where(`${table}.id`, 'in', ids).execute();
    for (const row of found) names.set(row.id, `${kind} of ${row.name}`);
  }
  return names;
}

export function auditView(row: Selectable<ControlTables['audit_events']>, names: ReadonlyMap<string, string> = new Map()) {
  return {
    id: String(row.id),
    projectId: row.project_id,
    actor: row.actor,
    action: row.action,
    target: { kind: row.target_kind, id: row.target_id },
    targetName: names.get(row.target_id) ?? null,
    details: (row.details ?? {}) as Record<string, unknown>,
    at: row.at.toISOString(),
  };
}
