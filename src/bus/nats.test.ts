import { describe, expect, it } from 'vitest';
import { filterFor } from './nats.js';

describe('NATS consumer filters (one subject per consumer on nats-server 2.9)', () => {
  it('filters one subject exactly, several on their common prefix', () => {
    expect(filterFor(['lifeboat.cmd.backup.requested'])).toBe('lifeboat.cmd.backup.requested');
    expect(filterFor(['lifeboat.evt.backup.started', 'lifeboat.evt.backup.succeeded'])).toBe('lifeboat.evt.backup.>');
    expect(filterFor(['lifeboat.evt.backup.started', 'lifeboat.evt.restore.failed', 'lifeboat.evt.artifact.deleted'])).toBe('lifeboat.evt.>');
    expect(filterFor(['test.subject', 'other.subject'])).toBeUndefined();
  });
});
