import { describe, expect, it } from 'vitest';
import { issuedLifetimeRefusal, mayIssueToken, type Principal, type ProjectRole, projectRoles, roleRank } from './access.js';

const tokenOf = (role: ProjectRole, expiresAt: Date | null = null): Principal => ({
  kind: 'project',
  projectId: 'prj_0000000000000000',
  role,
  tokenId: 'tok_0000000000000000',
  expiresAt,
});

describe('who may issue which token', () => {
  it('lets the operator issue every role', () => {
    for (const role of projectRoles) expect(mayIssueToken({ kind: 'admin' }, role)).toEqual({ allowed: true });
  });

  it('lets an owner issue every role up to its own, owner included', () => {
    for (const role of projectRoles) expect(mayIssueToken(tokenOf('owner'), role).allowed).toBe(true);
  });

  it('lets no member or viewer issue any token, not even its own role or below', () => {
    for (const issuer of ['viewer', 'member'] as const) {
      for (const role of projectRoles) expect(mayIssueToken(tokenOf(issuer), role)).toEqual({ allowed: false, needed: 'the owner role' });
    }
  });

  it('never lets a token issue a role ranked above its own', () => {
    for (const issuer of projectRoles) {
      for (const role of projectRoles) {
        if (roleRank(role) > roleRank(issuer)) expect(mayIssueToken(tokenOf(issuer), role).allowed).toBe(false);
      }
    }
  });
});

describe('how long an issued token may live', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  const inDays = (days: number) => new Date(now.getTime() + days * 24 * 3600 * 1000);

  it('is unbounded for the operator and for tokens that do not expire', () => {
    expect(issuedLifetimeRefusal({ kind: 'admin' }, undefined, now)).toBeNull();
    expect(issuedLifetimeRefusal(tokenOf('owner'), undefined, now)).toBeNull();
    expect(issuedLifetimeRefusal(tokenOf('owner'), 3650, now)).toBeNull();
  });

  it('ends, for an expiring token, with the whole days it has left', () => {
    const issuer = tokenOf('owner', inDays(7.5));
    expect(issuedLifetimeRefusal(issuer, 7, now)).toBeNull();
    expect(issuedLifetimeRefusal(issuer, 1, now)).toBeNull();
    expect(issuedLifetimeRefusal(issuer, 8, now)).toMatch(/cannot issue a token that outlives it: set expiresInDays to at most 7$/);
    expect(issuedLifetimeRefusal(issuer, undefined, now)).toMatch(/at most 7$/);
  });

  it('leaves a token that expires within a day nothing to issue', () => {
    expect(issuedLifetimeRefusal(tokenOf('owner', inDays(0.5)), 1, now)).toMatch(/it expires within a day, so it can issue none$/);
  });
});
