import { describe, expect, it } from 'vitest';
import { resumeCursor } from './live-changes.js';

describe('where a live view resumes', () => {
  const now = new Date('2026-06-01T12:00:00.000Z');

  it('resumes after a recent Last-Event-ID', () => {
    expect(resumeCursor('2026-06-01T11:59:58.123456Z', now)).toBe('2026-06-01T11:59:58.123456Z');
    expect(resumeCursor('2026-06-01T11:00:00.000000Z', now)).toBe('2026-06-01T11:00:00.000000Z');
  });

  it('replays no more than the window: an older id resumes from its start', () => {
    expect(resumeCursor('2026-06-01T10:59:59.999999Z', now)).toBe('2026-06-01T11:00:00.000000Z');
    expect(resumeCursor('1970-01-01T00:00:00.000000Z', now)).toBe('2026-06-01T11:00:00.000000Z');
    expect(resumeCursor('2026-06-01T11:50:00.000000Z', now, 60)).toBe('2026-06-01T11:59:00.000000Z');
  });

  it('starts from now without an id, with one not of ours, or with one from the future', () => {
    for (const id of [undefined, '', '42', '2026-06-01T11:59:58Z', '2026-13-45T99:99:99.000000Z', '9999-12-31T23:59:59.999999Z']) {
      expect(resumeCursor(id, now), String(id)).toBe('2026-06-01T12:00:00.000000Z');
    }
  });
});
