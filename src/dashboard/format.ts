export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let amount = value;
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit++;
  }
  return `${unit === 0 ? amount : amount.toFixed(1)} ${units[unit]}`;
}

export function duration(from: string | null, to: string | null): string {
  if (!from || !to) return '—';
  const seconds = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

export function age(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const minutes = Math.round((now - Date.parse(iso)) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} days ago`;
}

/**
 * Every time the dashboard shows, in one format with its timezone named (`7 Dec 2026, 15:40 CET`):
 * in the schedule's timezone where one applies, else the browser's.
 */
export function when(iso: string | null, timeZone?: string): string {
  if (!iso) return '—';
  return timeFormat(timeZone).format(new Date(iso));
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();
function timeFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let format = timeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short', timeZone });
    timeFormats.set(key, format);
  }
  return format;
}

/** `bkp_3f9a1c2d`: enough of an id to tell backups apart on screen; links carry the whole id. */
export function shortId(id: string): string {
  const [prefix, rest] = id.split('_', 2);
  return rest === undefined ? id : `${prefix}_${rest.slice(0, 8)}`;
}
