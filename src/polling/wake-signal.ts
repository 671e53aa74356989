/**
 * How a polling loop sleeps: until its poll interval passes or someone calls `notify` (a NOTIFY
 * from the database, a publish, a finished job). A notify that comes while the loop is busy is
 * kept, so the loop's next sleep returns at once: work announced during a pass never waits for
 * the next poll.
 */
export class WakeSignal {
  private pending = false;
  private wakeSleeper: (() => void) | undefined;

  notify(): void {
    if (this.wakeSleeper) this.wakeSleeper();
    else this.pending = true;
  }

  async sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      // Cleared here rather than after the await, so a notify in between is kept, not lost.
      const wakeUp = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(wakeUp, ms);
      this.wakeSleeper = wakeUp;
    });
  }
}
