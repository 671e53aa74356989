import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecordChanges } from './record-changes.js';

/** A record whose state the test sets, counting how often it is read. */
function record(initial: string) {
  const state = { value: initial, reads: 0 };
  return { state, read: async () => (state.reads++, state.value), ended: (value: string) => value === 'succeeded' };
}

/** Whether `promise` has settled, after letting pending callbacks run (no timer fires: they are fake). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return done;
}

describe('RecordChanges', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('answers at once when the record has ended or no wait is asked for', async () => {
    const changes = new RecordChanges();
    const ended = record('succeeded');
    expect(await changes.readUntil('a', 30, ended.read, ended.ended)).toBe('succeeded');
    const running = record('running');
    expect(await changes.readUntil('b', 0, running.read, running.ended)).toBe('running');
    expect(ended.state.reads + running.state.reads).toBe(2);
  });

  it('reads again the moment this replica changes the record, without waiting for the re-read', async () => {
    const changes = new RecordChanges();
    const backup = record('running');
    const answer = changes.readUntil('bkp_1', 30, backup.read, backup.ended);
    expect(await settled(answer)).toBe(false);
    backup.state.value = 'succeeded';
    changes.changed('bkp_other');
    expect(await settled(answer)).toBe(false);
    changes.changed('bkp_1');
    expect(await settled(answer)).toBe(true);
    expect(await answer).toBe('succeeded');
    expect(backup.state.reads).toBe(2);
  });

  it('finds a change made elsewhere by reading again every second', async () => {
    const changes = new RecordChanges();
    const backup = record('running');
    const answer = changes.readUntil('bkp_1', 30, backup.read, backup.ended);
    await vi.advanceTimersByTimeAsync(2000);
    expect(backup.state.reads).toBe(3);
    backup.state.value = 'succeeded';
    await vi.advanceTimersByTimeAsync(1000);
    expect(await answer).toBe('succeeded');
  });

  it('answers with the state it has once the wait has passed', async () => {
    const changes = new RecordChanges();
    const backup = record('running');
    const answer = changes.readUntil('bkp_1', 5, backup.read, backup.ended);
    await vi.advanceTimersByTimeAsync(4900);
    expect(await settled(answer)).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(await answer).toBe('running');
  });

  it('stops waiting when the client hangs up', async () => {
    const changes = new RecordChanges();
    const backup = record('running');
    const client = new AbortController();
    const answer = changes.readUntil('bkp_1', 60, backup.read, backup.ended, client.signal);
    expect(await settled(answer)).toBe(false);
    client.abort();
    expect(await answer).toBe('running');
    expect(backup.state.reads).toBe(1);
  });

  it('answers every waiting read when closed, and waits no more after', async () => {
    const changes = new RecordChanges();
    const first = record('running');
    const second = record('queued');
    const answers = [changes.readUntil('bkp_1', 60, first.read, first.ended), changes.readUntil('bkp_2', 60, second.read, second.ended)];
    expect(await settled(Promise.all(answers))).toBe(false);
    changes.close();
    expect(await Promise.all(answers)).toEqual(['running', 'queued']);
    expect(await changes.readUntil('bkp_3', 60, first.read, first.ended)).toBe('running');
  });
});
