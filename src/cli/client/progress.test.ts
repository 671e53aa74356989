import { describe, expect, it } from 'vitest';
import { describeLockWait, describeWait, WaitProgress } from './progress.js';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream };
}

describe('what --wait shows', () => {
  it('redraws one line on a terminal: state, bytes, elapsed, the lock waited for', () => {
    const { written, stream: tty } = stream(true);
    let now = 0;
    const progress = new WaitProgress(tty, () => now);
    now = 14_000;
    progress.show({ label: 'backup bkp_1', status: 'running', bytes: 3 * 1024 * 1024, waitingFor: 'waiting for a lock on "orders" held by pid 42' });
    progress.done();
    expect(written).toEqual(['\r\x1b[2Kbackup bkp_1 running · 3.0 MiB · 0m14s · waiting for a lock on "orders" held by pid 42', '\r\x1b[2K']);
  });

  it('writes a plain line each time the state changes elsewhere', () => {
    const { written, stream: pipe } = stream(false);
    const progress = new WaitProgress(pipe);
    for (const status of ['queued', 'running', 'running']) progress.show({ label: 'backup bkp_1', status, bytes: 10, waitingFor: null });
    progress.show({ label: 'backup bkp_1', status: 'running', bytes: 20, waitingFor: 'waiting for a lock' });
    progress.done();
    expect(written).toEqual(['backup bkp_1 queued\n', 'backup bkp_1 running\n', 'backup bkp_1 running: waiting for a lock\n']);
  });

  it('reads a lock wait loosely', () => {
    expect(describeLockWait(null)).toBeNull();
    expect(describeLockWait({ message: 'waiting for a lock on "orders" held by pid 7 since 12:00' })).toBe('waiting for a lock on "orders" held by pid 7 since 12:00');
    expect(describeLockWait({ table: 'orders', pid: 7, since: '2026-12-07T12:00:00Z' })).toBe('waiting for a lock on "orders" held by pid 7 since 2026-12-07T12:00:00Z');
    expect(describeWait({ label: 'restore rst_1', status: 'queued', bytes: null, waitingFor: null }, 61_000)).toBe('restore rst_1 queued · 1m01s');
  });
});
