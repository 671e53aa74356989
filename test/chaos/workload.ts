/** A small seeded PRNG (mulberry32): the same seed gives the same run of choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(random() * items.length)];
}

/** Picks a key by weight. */
export function weighted<K extends string>(random: () => number, weights: Record<K, number>): K {
  const entries = Object.entries(weights) as [K, number][];
  let roll = random() * entries.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [key, weight] of entries) {
    roll -= weight;
    if (roll <= 0) return key;
  }
  return entries[entries.length - 1]![0];
}

export const workloadWeights = { backup: 50, cancel: 10, delete: 8, restore: 8, schedule: 4, killSwitch: 3 } as const;
export const faultWeights = { killProcess: 4, natsRestart: 2, postgresRestart: 1, storageRefuse: 2, storageStall: 2, dumpHang: 2, dumpDie: 2 } as const;
export type WorkloadAction = keyof typeof workloadWeights;
export type FaultKind = keyof typeof faultWeights;

export interface PlannedStep {
  atMs: number;
  action: WorkloadAction;
  /** Index of the service it acts on, and of the API replica it calls. */
  service: number;
  api: number;
}

export interface PlannedFault {
  atMs: number;
  kind: FaultKind;
  /** Index of the process a `killProcess` fault kills. */
  process: number;
}

/** Every choice of a run, made from the seed before it starts, in the order they happen. */
export type ChaosPlan = ({ type: 'step' } & PlannedStep) | ({ type: 'fault' } & PlannedFault);

/**
 * Plans a run from its seed alone. Drawing every choice up front, rather than as the run goes,
 * is what makes a seed replay the same run: the number of draws no longer depends on what the
 * system answered or how long a fault took. Pure.
 */
export function planChaos(seed: number, shape: { seconds: number; services: number; apis: number; processes: number; stepMs?: number }): ChaosPlan[] {
  const random = seededRandom(seed);
  const stepMs = shape.stepMs ?? 250;
  const endMs = shape.seconds * 1000;
  const plan: ChaosPlan[] = [];
  for (let atMs = 0; atMs < endMs; atMs += stepMs) {
    plan.push({ type: 'step', atMs, action: weighted(random, workloadWeights), service: Math.floor(random() * shape.services), api: Math.floor(random() * shape.apis) });
  }
  for (let atMs = 3000 + random() * 3000; atMs < endMs; atMs += 4000 + random() * 4000) {
    plan.push({ type: 'fault', atMs: Math.round(atMs), kind: weighted(random, faultWeights), process: Math.floor(random() * shape.processes) });
  }
  // A fault at the same moment as a step goes first.
  return plan.sort((a, b) => a.atMs - b.atMs || (a.type === b.type ? 0 : a.type === 'fault' ? -1 : 1));
}
