import { describe, expect, it } from 'vitest';
import { WakeSignal } from './wake-signal.js';

const settled = async (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('a wake signal', () => {
  it('sleeps for the poll interval when nobody notifies', async () => {
    const signal = new WakeSignal();
    const sleeping = signal.sleep(30);
    expect(await settled(sleeping)).toBe(false);
    await sleeping;
  });

  it('wakes a sleeper at once on notify', async () => {
    const signal = new WakeSignal();
    const sleeping = signal.sleep(60_000);
    signal.notify();
    expect(await settled(sleeping)).toBe(true);
  });

  it('keeps a notify that came while nobody slept for the next sleep, once', async () => {
    const signal = new WakeSignal();
    signal.notify();
    signal.notify();
    expect(await settled(signal.sleep(60_000))).toBe(true);
    const second = signal.sleep(60_000);
    expect(await settled(second)).toBe(false);
    signal.notify();
    await second;
  });

  it('keeps a notify that comes right after a sleep timed out', async () => {
    const signal = new WakeSignal();
    await signal.sleep(1);
    signal.notify();
    expect(await settled(signal.sleep(60_000))).toBe(true);
  });
});
