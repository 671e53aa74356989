import { describe, expect, it } from 'vitest';
import { matchPrefix, onlyService, parseBackupReference, pickLatest } from './backup-reference.js';

const a = 'bkp_3k9x0000000000aa';
const b = 'bkp_3k9y0000000000bb';

describe('backup references', () => {
  it('reads a whole id, the start of one, and latest', () => {
    expect(parseBackupReference(a)).toEqual({ kind: 'id', id: a });
    expect(parseBackupReference('bkp_3k9')).toEqual({ kind: 'prefix', prefix: 'bkp_3k9' });
    expect(parseBackupReference('latest')).toEqual({ kind: 'latest' });
  });

  it('refuses anything else as wrong usage', () => {
    for (const text of ['not-an-id', 'bkp_', 'bkp_Short', `${a}0`, '3k9x', 'Latest']) {
      expect(() => parseBackupReference(text)).toThrow(expect.objectContaining({ exitCode: 2, code: 'usage' }));
    }
  });

  it('answers the one id a prefix starts, refuses none (exit 3) and several (exit 2, listing them)', () => {
    expect(matchPrefix('bkp_3k9x', [a, b])).toBe(a);
    expect(matchPrefix('bkp_3k9x', [a, a])).toBe(a);
    expect(() => matchPrefix('bkp_zz', [a, b])).toThrow(expect.objectContaining({ exitCode: 3, code: 'not_found' }));
    expect(() => matchPrefix('bkp_3k9', [a, b])).toThrow(expect.objectContaining({ exitCode: 2, code: 'ambiguous', message: `bkp_3k9 is the start of 2 backup ids: ${a}, ${b}; give more of it` }));
  });

  it('takes the newest succeeded backup for latest, or the newest at all', () => {
    const backups = [
      { id: b, status: 'running' as const },
      { id: a, status: 'succeeded' as const },
    ];
    expect(pickLatest(backups, 'succeeded')).toBe(a);
    expect(pickLatest(backups, 'any')).toBe(b);
    expect(pickLatest([{ id: b, status: 'failed' as const }], 'succeeded')).toBeUndefined();
  });

  it('needs --service for latest when the project has several services', () => {
    expect(onlyService([{ name: 'shop' }])).toEqual({ name: 'shop' });
    expect(() => onlyService([{ name: 'shop' }, { name: 'blog' }])).toThrow(expect.objectContaining({ exitCode: 2, message: 'latest needs --service <service>: this project has 2 (shop, blog)' }));
    expect(() => onlyService([])).toThrow(expect.objectContaining({ exitCode: 3 }));
  });
});
