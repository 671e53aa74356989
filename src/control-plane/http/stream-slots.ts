/**
 * Open `GET /v1/events` streams, counted per token and per project in this API process. Each
 * stream holds a connection and polls the database every second, so one leaked token (or one
 * runaway script) must not open them without end. Counted per process: behind a load balancer,
 * each replica allows its own share.
 */
export type StreamRefusal = { limit: 'token' | 'project'; max: number };

export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly limits: { perToken: number; perProject: number }) {}

  /** A slot for one stream of `tokenKey` in `projectId`, with its release; or which limit is reached. */
  take(tokenKey: string, projectId: string): { release: () => void } | StreamRefusal {
    const tokenSlot = `token ${tokenKey}`;
    const projectSlot = `project ${projectId}`;
    if (this.count(tokenSlot) >= this.limits.perToken) return { limit: 'token', max: this.limits.perToken };
    if (this.count(projectSlot) >= this.limits.perProject) return { limit: 'project', max: this.limits.perProject };
    this.add(tokenSlot, 1);
    this.add(projectSlot, 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.add(tokenSlot, -1);
        this.add(projectSlot, -1);
      },
    };
  }

  count(slot: string): number {
    return this.open.get(slot) ?? 0;
  }

  private add(slot: string, delta: number): void {
    const next = this.count(slot) + delta;
    if (next === 0) this.open.delete(slot);
    else this.open.set(slot, next);
  }
}
