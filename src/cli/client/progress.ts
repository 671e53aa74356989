import { formatBytes } from './output.js';

/**
 * A one-line progress bar on a terminal's standard error; silent when stderr is not a terminal,
 * so scripts and `--json` output stay clean.
 */
export class ProgressBar {
  private readonly enabled: boolean;
  private last = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = stream.isTTY === true;
  }

  update(label: string, done: number | null, total: number | undefined): void {
    if (!this.enabled || Date.now() - this.last < 100) return;
    this.last = Date.now();
    const width = 30;
    const bar = total && done !== null ? `[${'#'.repeat(Math.round((width * Math.min(done, total)) / total)).padEnd(width)}] ${Math.floor((100 * done) / total)}%` : '';
    this.stream.write(`\r\x1b[2K${label} ${bar} ${formatBytes(done)}${total ? ` of ${formatBytes(total)}` : ''}`);
  }

  done(): void {
    if (this.enabled) this.stream.write('\r\x1b[2K');
  }
}

/** What a wait shows of a backup or restore at one moment. */
export interface WaitState {
  label: string;
  status: string;
  bytes: number | null;
  /** What it waits for (a lock), in words; null when it waits for nothing. */
  waitingFor: string | null;
}

/**
 * How `--wait` tells a person what is happening, on standard error: on a terminal one line
 * redrawn each second (state, bytes written, time elapsed, the lock it waits for); elsewhere a
 * plain line each time the state or the lock changes, so a CI log reads as a story, not as a
 * second-by-second dump.
 */
export class WaitProgress {
  private readonly started: number;
  private lastPlain = '';
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  show(state: WaitState): void {
    if (this.stream.isTTY === true) {
      this.stream.write(`\r\x1b[2K${describeWait(state, this.now() - this.started)}`);
      this.drawn = true;
      return;
    }
    const plain = `${state.label} ${state.status}${state.waitingFor ? `: ${state.waitingFor}` : ''}`;
    if (plain !== this.lastPlain) this.stream.write(`${plain}\n`);
    this.lastPlain = plain;
  }

  done(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
  }
}

/** The redrawn line: `backup bkp_… running · 12.3 MiB · 0m14s · waiting for a lock on "orders" …`. */
export function describeWait(state: WaitState, elapsedMs: number): string {
  const seconds = Math.floor(elapsedMs / 1000);
  const elapsed = `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return [`${state.label} ${state.status}`, ...(state.bytes === null ? [] : [formatBytes(state.bytes)]), elapsed, ...(state.waitingFor ? [state.waitingFor] : [])].join(' · ');
}

/**
 * A backup's `lockWait`, when the API has one to say, in words. Read loosely: a sentence as
 * given, or the table, the holder's pid and since when.
 */
export function describeLockWait(lockWait: unknown): string | null {
  if (lockWait === null || lockWait === undefined) return null;
  if (typeof lockWait === 'string') return lockWait;
  if (typeof lockWait !== 'object') return null;
  const wait = lockWait as { message?: unknown; table?: unknown; relation?: unknown; pid?: unknown; heldByPid?: unknown; since?: unknown };
  if (typeof wait.message === 'string') return wait.message;
  const table = wait.table ?? wait.relation;
  const pid = wait.pid ?? wait.heldByPid;
  return [`waiting for a lock${typeof table === 'string' ? ` on "${table}"` : ''}`, ...(typeof pid === 'number' || typeof pid === 'string' ? [`held by pid ${pid}`] : []), ...(typeof wait.since === 'string' ? [`since ${wait.since}`] : [])].join(' ');
}
