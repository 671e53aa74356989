import { describe, expect, it } from 'vitest';
import { tokenRefusal } from './project-tokens.js';

describe('whether a stored token still answers', () => {
  it('answers while neither revoked nor expired', () => {
    expect(tokenRefusal({ revoked: false, expired: false })).toBeNull();
  });

  it('refuses a revoked or an expired token, naming revocation when it is both', () => {
    expect(tokenRefusal({ revoked: true, expired: false })).toBe('revoked');
    expect(tokenRefusal({ revoked: false, expired: true })).toBe('expired');
    expect(tokenRefusal({ revoked: true, expired: true })).toBe('revoked');
  });
});
