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
