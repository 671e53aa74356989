import { displayWidth, padToWidth } from './display-width.js';

/** How client commands print: aligned tables for people, JSON for scripts. */
export interface Output {
  json: boolean;
  write(text: string): void;
}

export function printJson(out: Output, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(out: Output, columns: string[], rows: (string | number | null | undefined)[][]): void {
  for (const line of formatTable(columns, rows)) out.write(`${line}\n`);
}

/** The lines of a table, its columns aligned in terminal columns (a wide character counts two), a missing value shown as `-`. */
export function formatTable(columns: string[], rows: (string | number | null | undefined)[][]): string[] {
  const cells = [columns, ...rows.map((row) => columns.map((_, i) => (row[i] === null || row[i] === undefined ? '-' : String(row[i]))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => displayWidth(row[i]!))));
  return cells.map((row) => row.map((cell, i) => padToWidth(cell, widths[i]!)).join('  ').trimEnd());
}

export function printFields(out: Output, fields: [string, string | number | null | undefined][]): void {
  const width = Math.max(...fields.map(([label]) => label.length));
  for (const [label, value] of fields) out.write(`${`${label}:`.padEnd(width + 2)}${value === null || value === undefined ? '-' : value}\n`);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatDuration(from: string | null, to: string | null): string {
  if (!from || !to) return '-';
  const seconds = Math.round((Date.parse(to) - Date.parse(from)) / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/**
 * EXPIRES as the dashboard and the retention preview say it: `due now (since …)` when the
 * policy would expire it now (the next retention sweep does), its date, `kept` when no date
 * can be given (count rules or being the newest keep it), `-` for a backup that is not kept.
 */
export function formatExpiry(backup: { status: string; expiresAt: string | null; expiring: boolean }): string {
  if (backup.status !== 'succeeded') return '-';
  if (backup.expiring) return `due now (since ${backup.expiresAt})`;
  return backup.expiresAt ?? 'kept';
}

/**
 * A reader that stops early (`lifeboat backups list shop | head -1`) closes the pipe: what is
 * left to print has nobody to read it, so the command ends quietly, with the exit code it has
 * so far, instead of crashing on EPIPE with a stack trace. Answers how to undo it.
 */
export function endQuietlyWhenOutputCloses(): () => void {
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  };
  for (const stream of [process.stdout, process.stderr]) stream.on('error', onError);
  return () => {
    for (const stream of [process.stdout, process.stderr]) stream.off('error', onError);
  };
}
