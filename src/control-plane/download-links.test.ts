import { describe, expect, it } from 'vitest';
import { deriveKeys } from '../secrets/keys.js';
import { checkDownloadLink, signDownloadLink } from './download-links.js';

const key = deriveKeys('a secret long enough for the download link tests').downloadLinks;
const now = new Date('2026-03-01T12:00:00Z');

describe('download links', () => {
  it('accepts a link until it expires, then reports it expired', () => {
    const link = signDownloadLink(key, 'bkp_1', new Date(now.getTime() + 900_000));
    expect(checkDownloadLink(key, link, now)).toBe('valid');
    expect(checkDownloadLink(key, link, new Date(now.getTime() + 899_000))).toBe('valid');
    expect(checkDownloadLink(key, link, new Date(now.getTime() + 900_000))).toBe('expired');
  });

  it('rejects a link whose id, expiry or signature was changed, or signed with another key', () => {
    const link = signDownloadLink(key, 'bkp_1', new Date(now.getTime() + 900_000));
    expect(checkDownloadLink(key, { ...link, backupId: 'bkp_2' }, now)).toBe('invalid');
    expect(checkDownloadLink(key, { ...link, expires: link.expires + 3600 }, now)).toBe('invalid');
    expect(checkDownloadLink(key, { ...link, signature: link.signature.slice(1) + 'A' }, now)).toBe('invalid');
    expect(checkDownloadLink(key, { ...link, signature: '' }, now)).toBe('invalid');
    const other = deriveKeys('another secret long enough for these tests').downloadLinks;
    expect(checkDownloadLink(other, link, now)).toBe('invalid');
  });

  it('reports a forged link as invalid even after its expiry', () => {
    const link = signDownloadLink(key, 'bkp_1', new Date(now.getTime() - 1000));
    expect(checkDownloadLink(key, { ...link, signature: 'x'.repeat(43) }, now)).toBe('invalid');
    expect(checkDownloadLink(key, link, now)).toBe('expired');
  });
});
