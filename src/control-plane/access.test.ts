import { describe, expect, it } from 'vitest';
import { mayIssueToken, type Principal, type ProjectRole, projectRoles, roleRank } from './access.js';

const tokenOf = (role: ProjectRole): Principal => ({ kind: 'project', projectId: 'prj_0000000000000000', role, tokenId: 'tok_0000000000000000' });

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
