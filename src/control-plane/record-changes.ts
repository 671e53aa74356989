import { WakeSignal } from '../polling/wake-signal.js';

/** How often a waiting request reads its record again, for changes this replica did not apply. */
const rereadMs = 1000;

/**
 * Lets a read of one backup or restore wait for it to end (`?waitSeconds=`), so a client that
 * waits for a result neither polls the API nor learns it late. This replica wakes the waiters
 * of a record the moment it applies an orchestrator event to it; changes made elsewhere (another
 * API replica, a sweep, a cancel) are found by the waiters' own re-read every second.
 */
export class RecordChanges {
  private readonly waiting = new Map<string, Set<WakeSignal>>();
  private closed = false;

  /** Wakes the requests waiting on `id`. */
  changed(id: string): void {
    for (const waiter of this.waiting.get(id) ?? []) waiter.notify();
  }

  /** Answers every waiting request now, and later ones without waiting: the server is closing. */
  close(): void {
    this.closed = true;
    for (const waiters of this.waiting.values()) for (const waiter of waiters) waiter.notify();
  }

  /**
   * Reads the record `id` until `ended` holds for it, `seconds` pass, or `gone` aborts (the client
   * hung up); reads at least once.
   */
  async readUntil<T>(id: string, seconds: number, read: () => Promise<T>, ended: (value: T) => boolean, gone?: AbortSignal): Promise<T> {
    if (seconds <= 0 || this.closed) return read();
    const deadline = Date.now() + seconds * 1000;
    // Listening before the first read: a change applied while it runs is not missed.
    const waiter = new WakeSignal();
    const waiters = this.waiting.get(id) ?? new Set();
    this.waiting.set(id, waiters.add(waiter));
    const hungUp = () => waiter.notify();
    gone?.addEventListener('abort', hungUp, { once: true });
    try {
      let value = await read();
      for (;;) {
        if (ended(value)) return value;
        const left = deadline - Date.now();
        if (left <= 0 || this.closed || gone?.aborted) return value;
        await waiter.sleep(Math.min(rereadMs, left));
        if (this.closed || gone?.aborted) return value;
        value = await read();
      }
    } finally {
      gone?.removeEventListener('abort', hungUp);
      waiters.delete(waiter);
      if (waiters.size === 0) this.waiting.delete(id);
    }
  }
}
