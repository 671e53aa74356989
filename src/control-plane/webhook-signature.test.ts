import { describe, expect, it } from 'vitest';
import { retryDelayMs, signWebhook, verifyWebhook } from './webhook-signature.js';

const at = new Date('2026-11-24T12:00:00Z');

describe('webhook signatures', () => {
  it('verifies what it signed, within the tolerance', () => {
    const header = signWebhook('whsec_1', '{"a":1}', at);
    expect(header).toMatch(/^t=1795521600,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook('whsec_1', '{"a":1}', header, at)).toBe(true);
    expect(verifyWebhook('whsec_1', '{"a":1}', header, new Date(at.getTime() + 299_000))).toBe(true);
  });

  it('refuses another body, another secret, an old timestamp or garbage', () => {
    const header = signWebhook('whsec_1', '{"a":1}', at);
    expect(verifyWebhook('whsec_1', '{"a":2}', header, at)).toBe(false);
    expect(verifyWebhook('whsec_2', '{"a":1}', header, at)).toBe(false);
    expect(verifyWebhook('whsec_1', '{"a":1}', header, new Date(at.getTime() + 301_000))).toBe(false);
    expect(verifyWebhook('whsec_1', '{"a":1}', 'nonsense', at)).toBe(false);
  });

  it('backs off exponentially up to an hour', () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(retryDelayMs(30)).toBe(3600_000);
  });
});
