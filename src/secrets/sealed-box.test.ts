import { describe, expect, it } from 'vitest';
import { deriveKeys } from './keys.js';
import { seal, unseal, UnsealError } from './sealed-box.js';

const keys = deriveKeys('a test secret that is long enough to use');

describe('sealed box', () => {
  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const sealed = seal(keys.credentials, 'hunter2-pässword', 'svc_1');
    expect(sealed).not.toContain('hunter2');
    expect(unseal(keys.credentials, sealed, 'svc_1')).toBe('hunter2-pässword');
  });

  it('gives a different ciphertext each time', () => {
    expect(seal(keys.credentials, 'x', 'c')).not.toBe(seal(keys.credentials, 'x', 'c'));
  });

  it('refuses another context, another key, or a tampered value', () => {
    const sealed = seal(keys.credentials, 'secret', 'svc_1');
    expect(() => unseal(keys.credentials, sealed, 'svc_2')).toThrow(UnsealError);
    expect(() => unseal(deriveKeys('another secret, also long enough to use').credentials, sealed, 'svc_1')).toThrow(UnsealError);
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => unseal(keys.credentials, tampered, 'svc_1')).toThrow(UnsealError);
    expect(() => unseal(keys.credentials, 'garbage', 'svc_1')).toThrow(UnsealError);
  });

  it('derives different keys per purpose', () => {
    expect(keys.credentials.equals(keys.downloadLinks)).toBe(false);
    expect(keys.credentials).toHaveLength(32);
  });
});
