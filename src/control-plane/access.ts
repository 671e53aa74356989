import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { apiErrors } from './errors.js';
import { newId } from './ids.js';
import type { ControlTables } from './tables.js';

export const projectRoles = ['viewer', 'member', 'owner'] as const;
export type ProjectRole = (typeof projectRoles)[number];

/** Who is calling: the operator (admin token) or a project token with a role. */
export type Principal = { kind: 'admin' } | { kind: 'project'; projectId: string; role: ProjectRole; tokenId: string };

/** viewer reads; member also creates, cancels and downloads backups; owner also manages services and tokens. */
function roleRank(role: ProjectRole): number {
  switch (role) {
    case 'viewer':
      return 0;
    case 'member':
      return 1;
    case 'owner':
      return 2;
  }
}

/**
 * Throws unless `principal` may act on `projectId` with at least `needed`. Another project's
 * object is reported as not found, exactly like a missing one.
 */
export function authorize(principal: Principal, projectId: string, needed: ProjectRole, object: { kind: string; id: string }): void {
  if (principal.kind === 'admin') return;
  if (principal.projectId !== projectId) throw apiErrors.notFound(object.kind, object.id);
  if (roleRank(principal.role) < roleRank(needed)) throw apiErrors.forbidden(`the ${needed} role`);
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== 'admin') throw apiErrors.forbidden('the admin token');
}

/** A label for audit columns: who did it. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'admin' ? 'admin' : `token:${principal.tokenId}`;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Issues a project token. The token is returned once; only its hash is stored. */
export async function issueProjectToken(db: Kysely<ControlTables>, projectId: string, role: ProjectRole): Promise<{ id: string; token: string; role: ProjectRole }> {
  const token = `lbp_${randomBytes(32).toString('base64url')}`;
  const id = newId('tok');
  await db.insertInto('project_tokens').values({ id, project_id: projectId, role, token_hash: hashToken(token), revoked_at: null }).execute();
  return { id, token, role };
}

/** A new admin token, for the first start when none is configured. */
export function generateAdminToken(): string {
  return `lba_${randomBytes(32).toString('base64url')}`;
}

/** Resolves a bearer token to a principal, or null when it is unknown or revoked. */
export async function principalOf(db: Kysely<ControlTables>, adminToken: string, token: string): Promise<Principal | null> {
  const presented = Buffer.from(hashToken(token), 'hex');
  if (timingSafeEqual(presented, Buffer.from(hashToken(adminToken), 'hex'))) return { kind: 'admin' };
  if (!token.startsWith('lbp_')) return null;
  const row = await db
    .selectFrom('project_tokens')
    .select(['id', 'project_id', 'role'])
    .where('token_hash', '=', presented.toString('hex'))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? { kind: 'project', projectId: row.project_id, role: row.role, tokenId: row.id } : null;
}
