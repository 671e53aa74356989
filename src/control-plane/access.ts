import { randomBytes } from 'node:crypto';
import { apiErrors } from './errors.js';

export const projectRoles = ['viewer', 'member', 'owner'] as const;
export type ProjectRole = (typeof projectRoles)[number];

/** Who is calling: the operator (admin token) or a project token with a role. */
export type Principal = { kind: 'admin' } | { kind: 'project'; projectId: string; role: ProjectRole; tokenId: string; expiresAt: Date | null };

/** viewer reads; member also creates, cancels and downloads backups; owner also manages services and tokens. */
export function roleRank(role: ProjectRole): number {
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

/**
 * Whether `issuer` may mint a token of `role`: the operator any, a project token only when it is
 * an owner (owners manage tokens) and never a role above its own, so that no token can mint its
 * way up. Owner is the top role today; the rank rule keeps holding if a higher one is added.
 */
export function mayIssueToken(issuer: Principal, role: ProjectRole): { allowed: true } | { allowed: false; needed: string } {
  if (issuer.kind === 'admin') return { allowed: true };
  if (roleRank(issuer.role) < roleRank('owner')) return { allowed: false, needed: 'the owner role' };
  if (roleRank(role) > roleRank(issuer.role)) return { allowed: false, needed: `the ${role} role (a token cannot issue a role above its own)` };
  return { allowed: true };
}

const dayMs = 24 * 3600 * 1000;

/**
 * Why a token of `expiresInDays` (undefined: never expires) may not be issued by `issuer`, or
 * null: a token that expires cannot issue one that outlives it, or expiry would be undone by
 * minting a successor before it comes.
 */
export function issuedLifetimeRefusal(issuer: Principal, expiresInDays: number | undefined, now: Date): string | null {
  if (issuer.kind === 'admin' || issuer.expiresAt === null) return null;
  const daysLeft = Math.floor((issuer.expiresAt.getTime() - now.getTime()) / dayMs);
  if (expiresInDays !== undefined && expiresInDays <= daysLeft) return null;
  const expiry = `this token expires at ${issuer.expiresAt.toISOString()} and cannot issue a token that outlives it`;
  return daysLeft < 1 ? `${expiry}; it expires within a day, so it can issue none` : `${expiry}: set expiresInDays to at most ${daysLeft}`;
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== 'admin') throw apiErrors.forbidden('the admin token');
}

/** A label for audit columns: who did it. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'admin' ? 'admin' : `token:${principal.tokenId}`;
}

/** A new admin token, for the first start when none is configured. */
export function generateAdminToken(): string {
  return `lba_${randomBytes(32).toString('base64url')}`;
}
