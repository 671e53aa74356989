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
  if (query.since) select = select.where('at', '>=', query.since);
  if (query.until) select = select.where('at', '<', query.until);
  if (query.before !== undefined) select = select.where('id', '<', query.before);
  const rows = await select.orderBy('id', 'desc').limit(query.limit + 1).execute();
  const entries = rows.slice(0, query.limit);
  return { entries, nextCursor: rows.length > query.limit ? String(entries.at(-1)!.id) : null };
}

export function auditView(row: Selectable<ControlTables['audit_events']>) {
  return {
    id: String(row.id),
    projectId: row.project_id,
    actor: row.actor,
    action: row.action,
    target: { kind: row.target_kind, id: row.target_id },
    details: (row.details ?? {}) as Record<string, unknown>,
    at: row.at.toISOString(),
  };
}
