import { describe, expect, it } from 'vitest';
import { chooseJobsToStart, defaultPerProjectLimit, type SlotState, type WaitingJob } from './fair-share.js';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
const job = (projectId: string, n: number, second: number): WaitingJob => ({ id: `${projectId}${n}`, projectId, enqueuedAt: at(second) });
const state = (overrides: Partial<SlotState>): SlotState => ({ runningByProject: new Map(), lastStartedByProject: new Map(), freeSlots: 1, perProjectLimit: 10, ...overrides });
const ids = (jobs: WaitingJob[]) => jobs.map((chosen) => chosen.id);

describe('the fair queue across projects', () => {
  it("starts another project's newer job before a second job of a project that asked first", () => {
    const waiting = [...Array.from({ length: 10 }, (_, n) => job('a', n + 1, n)), job('b', 1, 20)];
    expect(ids(chooseJobsToStart(waiting, state({ freeSlots: 2 })))).toEqual(['a1', 'b1']);
  });

  it('goes round-robin by project, oldest job first within each', () => {
    const waiting = [job('c', 1, 3), job('a', 3, 5), job('b', 2, 4), job('a', 1, 0), job('b', 1, 1), job('a', 2, 2)];
    expect(ids(chooseJobsToStart(waiting, state({ freeSlots: 6 })))).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
  });

  it('never starts more of a project than its limit allows, counting what already runs', () => {
    const waiting = [job('a', 1, 0), job('a', 2, 1), job('a', 3, 2), job('b', 1, 3)];
    expect(ids(chooseJobsToStart(waiting, state({ freeSlots: 4, perProjectLimit: 2 })))).toEqual(['a1', 'b1', 'a2']);
    expect(ids(chooseJobsToStart(waiting, state({ freeSlots: 4, perProjectLimit: 1, runningByProject: new Map([['a', 1]]) })))).toEqual(['b1']);
    expect(chooseJobsToStart(waiting, state({ freeSlots: 4, perProjectLimit: 1, runningByProject: new Map([['a', 1], ['b', 1]]) }))).toEqual([]);
  });

  it('serves the project with the fewest jobs running first', () => {
    const waiting = [job('a', 1, 0), job('b', 1, 1)];
    expect(ids(chooseJobsToStart(waiting, state({ runningByProject: new Map([['a', 2], ['b', 1]]) })))).toEqual(['b1']);
  });

  it('between projects running as many, serves the one served least recently, then one never served', () => {
    const waiting = [job('a', 1, 0), job('b', 1, 1), job('c', 1, 2)];
    const lastStartedByProject = new Map([['a', at(50)], ['b', at(40)]]);
    expect(ids(chooseJobsToStart(waiting, state({ freeSlots: 3, lastStartedByProject })))).toEqual(['c1', 'b1', 'a1']);
  });

  it('starts nothing without a free slot or a waiting job, and leaves its input alone', () => {
    const waiting = [job('a', 2, 1), job('a', 1, 0)];
    expect(chooseJobsToStart(waiting, state({ freeSlots: 0 }))).toEqual([]);
    expect(chooseJobsToStart([], state({ freeSlots: 3 }))).toEqual([]);
    expect(ids(chooseJobsToStart(waiting, state({ freeSlots: 1 })))).toEqual(['a1']);
    expect(ids(waiting)).toEqual(['a2', 'a1']);
  });

  it('takes one job at a time from a single project up to the free slots', () => {
    const waiting = Array.from({ length: 5 }, (_, n) => job('a', n + 1, n));
    expect(ids(chooseJobsToStart(waiting, state({ freeSlots: 3 })))).toEqual(['a1', 'a2', 'a3']);
  });
});

describe('the default per-project limit', () => {
  it('is half of the slots, rounded up, and at least one', () => {
    expect([1, 2, 3, 4, 5, 256].map(defaultPerProjectLimit)).toEqual([1, 1, 2, 2, 3, 128]);
  });
});
