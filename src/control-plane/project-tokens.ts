import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Principal, ProjectRole } from './access.js';
import { recordAudit } from './audit.js';
import { newId } from './ids.js';
import type { ControlTables } from './tables.js';

type TokenRow = Selectable<ControlTables['project_tokens']>;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Issues a project token, audited in the same transaction. The token is returned once; only its
 * hash is stored. `expiresInDays` counts from the database's clock, the one every replica checks
 * expiry against.
 */
export async function issueProjectToken(
  db: Kysely<ControlTables>,
  request: { projectId: string; role: ProjectRole; expiresInDays: number | undefined; actor: string },
): Promise<{ token: string; row: TokenRow }> {
  const token = `lbp_${randomBytes(32).toString('base64url')}`;
  const row = await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('project_tokens')
      .values({
        id: newId('tok'),
        project_id: request.projectId,
        role: request.role,
        token_hash: hashToken(token),
        expires_at: request.expiresInDays === undefined ? null : sql<Date>`now() + make_interval(days => ${request.expiresInDays})`,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      projectId: request.projectId,
      actor: request.actor,
      action: 'token.issued',
      target: { kind: 'token', id: inserted.id },
      details: { role: inserted.role, expiresAt: inserted.expires_at?.toISOString() ?? null },
    });
    return inserted;
  });
  return { token, row };
}

/** What the API shows of a token: never its secret or hash. */
export function tokenView(row: TokenRow) {
  return {
    id: row.id,
    projectId: row.project_id,
    role: row.role,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
  };
}

export async function listProjectTokens(db: Kysely<ControlTables>, projectId: string): Promise<TokenRow[]> {
  return db.selectFrom('project_tokens').selectAll().where('project_id', '=', projectId).orderBy('created_at').orderBy('id').execute();
}

export async function findProjectToken(db: Kysely<ControlTables>, tokenId: string): Promise<TokenRow | undefined> {
  return db.selectFrom('project_tokens').selectAll().where('id', '=', tokenId).executeTakeFirst();
}

/**
 * Revokes a token, audited in the same transaction. Revoking a revoked token changes nothing and
 * records nothing. Every replica looks tokens up on each request, so the next request with it
 * answers 401 everywhere.
 */
export async function revokeProjectToken(db: Kysely<ControlTables>, token: TokenRow, actor: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const revoked = await trx
      .updateTable('project_tokens')
      .set({ revoked_at: sql<Date>`now()` })
      .where('id', '=', token.id)
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!revoked) return;
    await recordAudit(trx, { projectId: token.project_id, actor, action: 'token.revoked', target: { kind: 'token', id: token.id }, details: { role: token.role } });
  });
}

/** Why a presented token was refused, for the metrics; every reason answers the same 401. */
export type AuthenticationFailure = 'missing' | 'unknown' | 'revoked' | 'expired';

/** A stored token's state as the lookup query saw it, on the database's clock. */
export interface TokenStanding {
  revoked: boolean;
  expired: boolean;
}

/** The pure rule: a token answers only while neither revoked nor expired (revocation named first, it is the deliberate act). */
export function tokenRefusal(standing: TokenStanding): AuthenticationFailure | null {
  if (standing.revoked) return 'revoked';
  if (standing.expired) return 'expired';
  return null;
}

/**
 * Resolves a bearer token to a principal, or to why it is refused. One query on every request
 * (no cache, so revocation and expiry hold at once on every replica), with expiry judged by the
 * database's clock in that same query. `last_used_at` is written only when it is a minute old.
 */
export async function authenticateToken(db: Kysely<ControlTables>, adminToken: string, token: string): Promise<{ principal: Principal } | { refused: AuthenticationFailure }> {
  const presented = Buffer.from(hashToken(token), 'hex');
  if (timingSafeEqual(presented, Buffer.from(hashToken(adminToken), 'hex'))) return { principal: { kind: 'admin' } };
  if (!token.startsWith('lbp_')) return { refused: 'unknown' };
  const row = await db
    .selectFrom('project_tokens')
    .select(['id', 'project_id', 'role', 'expires_at'])
    .select(sql<boolean>`revoked_at IS NOT NULL`.as('revoked'))
    .select(sql<boolean>`expires_at IS NOT NULL AND expires_at <= now()`.as('expired'))
    .select(sql<boolean>`last_used_at IS NULL OR last_used_at < now() - interval '1 minute'`.as('use_unrecorded'))
    .where('token_hash', '=', presented.toString('hex'))
    .executeTakeFirst();
  if (!row) return { refused: 'unknown' };
  const refused = tokenRefusal(row);
  if (refused) return { refused };
  if (row.use_unrecorded) await db.updateTable('project_tokens').set({ last_used_at: sql<Date>`now()` }).where('id', '=', row.id).execute();
  return { principal: { kind: 'project', projectId: row.project_id, role: row.role, tokenId: row.id, expiresAt: row.expires_at } };
}
