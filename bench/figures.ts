import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/** A figure measured once per run, reported as "median (min–max)". */
export function medianWithRange(samples: readonly number[], digits = 0): string {
  if (samples.length === 0) return 'n/a';
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  // An even count takes the mean of the two middle samples.
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return `${median.toFixed(digits)} (${sorted[0]!.toFixed(digits)}–${sorted.at(-1)!.toFixed(digits)})`;
}

/** The p-th percentile of samples sorted ascending (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Progress for the person watching; the results table goes to stdout. */
export function progress(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

/** Runs `work` `width` at a time over `items`. */
export async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** The kernel's high-water mark of a process's resident memory, in MiB (0 once it has gone). */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

/**
 * The peak RSS of the agent that runs a job, found through the tool it starts: the parent of the
 * first process started after this call whose command line contains all of `words` (pg_dump or
 * pg_restore with the job's database). The agent itself may have been started long before its
 * job (a standby agent), so it cannot be told apart by when it started or by its own command
 * line. Only processes that did not exist at the call are looked at (by set, not by number: pids
 * wrap around), /proc is read every 50 ms only until the tool appears, and then only the agent's
 * high-water mark is read, until it exits or `stop` is called.
 */
export function watchPeakRss(words: readonly string[]): { stop(): Promise<number> } {
  let peak = 0;
  let stopped = false;
  let agent: number | undefined;
  const pids = async () => (await readdir('/proc').catch(() => [] as string[])).filter((entry) => /^\d+$/.test(entry)).map(Number);
  const parentOfTool = async (existing: ReadonlySet<number>) => {
    for (const pid of await pids()) {
      if (existing.has(pid)) continue;
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (!words.every((word) => argv.includes(word))) continue;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      // The fields after the command name, which is in parentheses and may hold spaces: the parent's pid is the second.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent > 1) return parent;
    }
    return undefined;
  };
  const loop = (async () => {
    const existing = new Set(await pids());
    while (!stopped) {
      agent ??= await parentOfTool(existing);
      if (agent !== undefined) {
        const sampled = await peakRssMiB(agent);
        if (sampled === 0 && peak > 0) return;
        peak = Math.max(peak, sampled);
      }
      await sleep(agent === undefined ? 50 : 100);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      // The agent may have exited before the last sample; its figure from the one before stands.
      return peak;
    },
  };
}

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system, in seconds) each of `pids` has used so far; a process that has gone counts 0. */
async function cpuSecondsOf(pids: readonly number[]): Promise<Map<number, number>> {
  const times = new Map<number, number>();
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    times.set(pid, stat === '' ? 0 : (Number(fields[11]) + Number(fields[12])) / ticksPerSecond);
  }
  return times;
}

/** The processes whose command name (`/proc/<pid>/comm`) is `name`: all of PostgreSQL's, say. */
export async function processesNamed(name: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (/^\d+$/.test(entry) && (await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')).trim() === name) found.push(Number(entry));
  }
  return found;
}

/**
 * CPU seconds used by groups of processes between `start` and `stop` (each group's pids found
 * again at both ends, so processes started in between count too). Tells which of the processes
 * sharing the machine's cores a workload spends them in.
 */
export async function cpuMeter<Group extends string>(groups: Record<Group, () => Promise<number[]>>): Promise<{ stop(): Promise<Record<Group, number>> }> {
  const names = Object.keys(groups) as Group[];
  const sample = async () => new Map(await Promise.all(names.map(async (name) => [name, await cpuSecondsOf(await groups[name]())] as const)));
  const before = await sample();
  return {
    async stop() {
      const after = await sample();
      const used = {} as Record<Group, number>;
      for (const name of names) {
        let total = 0;
        for (const [pid, seconds] of after.get(name)!) total += seconds - (before.get(name)!.get(pid) ?? 0);
        used[name] = total;
      }
      return used;
    },
  };
}
