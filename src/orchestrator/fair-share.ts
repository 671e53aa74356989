/**
 * The fair queue: which waiting jobs take the free job slots. One project must not starve
 * another (DESIGN.md, trust boundaries), so slots go round-robin by project rather than in
 * strict request order: the project with the fewest jobs running goes first, then the one
 * served least recently; within a project, its oldest job. No project runs more than its limit.
 */

/** A job waiting for a slot, as the fair queue sees it. */
export interface WaitingJob {
  id: string;
  projectId: string;
  enqueuedAt: Date;
}

export interface SlotState {
  /** Jobs running now, on every orchestrator, by project; absent means none. */
  runningByProject: ReadonlyMap<string, number>;
  /** When each project last had a job started; absent means never. */
  lastStartedByProject: ReadonlyMap<string, Date>;
  /** Slots this orchestrator has free. */
  freeSlots: number;
  /** Jobs one project may have running at once, across every orchestrator. */
  perProjectLimit: number;
}

/** The jobs to start now, in the order they were chosen. */
export function chooseJobsToStart(waiting: readonly WaitingJob[], state: SlotState): WaitingJob[] {
  const queues = queuesByProject(waiting);
  const running = new Map(state.runningByProject);
  // Served order as numbers: never served sorts first, a project served in this round last.
  const lastServed = new Map([...state.lastStartedByProject].map(([projectId, at]) => [projectId, at.getTime()]));
  let servedNow = Math.max(0, ...lastServed.values());
  const chosen: WaitingJob[] = [];
  while (chosen.length < state.freeSlots) {
    let next: { projectId: string; queue: WaitingJob[] } | undefined;
    for (const [projectId, queue] of queues) {
      if (queue.length === 0 || (running.get(projectId) ?? 0) >= state.perProjectLimit) continue;
      if (!next || comesFirst(projectId, queue, next.projectId, next.queue)) next = { projectId, queue };
    }
    if (!next) break;
    chosen.push(next.queue.shift()!);
    running.set(next.projectId, (running.get(next.projectId) ?? 0) + 1);
    lastServed.set(next.projectId, ++servedNow);
  }
  return chosen;

  function comesFirst(a: string, queueA: WaitingJob[], b: string, queueB: WaitingJob[]): boolean {
    const byRunning = (running.get(a) ?? 0) - (running.get(b) ?? 0);
    if (byRunning !== 0) return byRunning < 0;
    const byServed = (lastServed.get(a) ?? -Infinity) - (lastServed.get(b) ?? -Infinity);
    if (byServed !== 0 && !Number.isNaN(byServed)) return byServed < 0;
    const byAge = queueA[0]!.enqueuedAt.getTime() - queueB[0]!.enqueuedAt.getTime();
    if (byAge !== 0) return byAge < 0;
    return a < b;
  }
}

/** Each project's waiting jobs, oldest first (the id breaks ties, so the choice is repeatable). */
function queuesByProject(waiting: readonly WaitingJob[]): Map<string, WaitingJob[]> {
  const queues = new Map<string, WaitingJob[]>();
  const ordered = [...waiting].sort((a, b) => a.enqueuedAt.getTime() - b.enqueuedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const job of ordered) {
    const queue = queues.get(job.projectId) ?? [];
    queue.push(job);
    queues.set(job.projectId, queue);
  }
  return queues;
}

/** Half of one orchestrator's slots, at least one: so that one project cannot take them all. */
export function defaultPerProjectLimit(maxConcurrentJobs: number): number {
  return Math.max(1, Math.ceil(maxConcurrentJobs / 2));
}
