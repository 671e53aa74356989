import { describe, expect, it } from 'vitest';
import { envelope } from '../contracts/index.js';
import { backupStatuses, canMove, decideEvent, isTerminal, type BackupStatus } from './backup-status.js';

const fields = { correlationId: 'bkp_1', projectId: 'prj_1' };
const started = envelope('backup.started', fields, { backupId: 'bkp_1', jobId: 'job', attempt: 1, startedAt: '2026-01-01T00:00:00.000Z' });
const succeeded = envelope('backup.succeeded', fields, {
  backupId: 'bkp_1',
  artifact: { key: 'k/backup.dump', manifestKey: 'k/manifest.json', sizeBytes: 10, sha256: 'a'.repeat(64) },
  serverVersion: '15.2',
  toolVersion: '15.2',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
});
const failed = envelope('backup.failed', fields, {
  backupId: 'bkp_1',
  failure: { code: 'auth_failed' as const, message: 'wrong password' },
  startedAt: null,
  finishedAt: '2026-01-01T00:01:00.000Z',
});

describe('backup status transitions', () => {
  it('only ever moves forward', () => {
    for (const from of backupStatuses) {
      expect(canMove(from, from)).toBe(false);
    }
    expect(canMove('requested', 'queued')).toBe(true);
    expect(canMove('queued', 'running')).toBe(true);
    expect(canMove('requested', 'succeeded')).toBe(true);
    expect(canMove('running', 'queued')).toBe(false);
    expect(canMove('succeeded', 'failed')).toBe(false);
    expect(canMove('failed', 'succeeded')).toBe(false);
    expect(canMove('canceled', 'running')).toBe(false);
  });

  it('expires or deletes only what succeeded', () => {
    expect(canMove('succeeded', 'expired')).toBe(true);
    expect(canMove('succeeded', 'deleted')).toBe(true);
    expect(canMove('failed', 'deleted')).toBe(false);
    expect(canMove('running', 'expired')).toBe(false);
    expect(canMove('expired', 'deleted')).toBe(false);
  });

  it('knows which statuses are terminal', () => {
    const terminal = backupStatuses.filter(isTerminal);
    expect(terminal).toEqual(['succeeded', 'failed', 'canceled', 'expired', 'deleted']);
  });
});

describe('applying orchestrator events', () => {
  it('moves a queued backup to running, then to succeeded with its artifact', () => {
    expect(decideEvent('queued', started)).toEqual({ apply: true, change: { status: 'running', started_at: new Date('2026-01-01T00:00:00.000Z') } });
    const decision = decideEvent('running', succeeded);
    expect(decision.apply).toBe(true);
    if (decision.apply) {
      expect(decision.change).toMatchObject({ status: 'succeeded', size_bytes: 10, sha256: 'a'.repeat(64), artifact_key: 'k/backup.dump' });
    }
  });

  it('applies a terminal event that overtakes the start', () => {
    expect(decideEvent('queued', succeeded).apply).toBe(true);
    expect(decideEvent('requested', failed)).toMatchObject({ apply: true, change: { status: 'failed', failure_code: 'auth_failed' } });
  });

  it('ignores late and duplicate events instead of moving backwards', () => {
    const cases: [BackupStatus, typeof started | typeof succeeded | typeof failed][] = [
      ['succeeded', started],
      ['succeeded', succeeded],
      ['succeeded', failed],
      ['failed', succeeded],
      ['running', started],
      ['deleted', succeeded],
    ];
    for (const [status, event] of cases) {
      expect(decideEvent(status, event)).toMatchObject({ apply: false });
    }
  });
});
