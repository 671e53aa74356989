/**
 * Times as the CLI shows them: to the minute, in the timezone of the service's schedule where
 * it has one (that is the clock its cron and its daily/weekly counts use), with the zone said,
 * so `03:00 GMT+1` reads the same as the `0 3 * * *` it came from.
 */
export function formatTime(iso: string | null | undefined, timeZone = 'UTC'): string | null {
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'shortOffset' })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  ) as Record<string, string>;
  const zone = parts.timeZoneName === 'GMT' || timeZone === 'UTC' ? 'UTC' : parts.timeZoneName;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${zone}`;
}

/** How long ago a time was, in its largest whole unit: `45s`, `12m`, `5h`, `3d`. */
export function formatAge(iso: string | null | undefined, now: Date): string | null {
  if (!iso) return null;
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** The verdict of a backup's restore drill, in a word or two: `passed`, `failed: …`, `pending`, or null when never drilled. */
export function drillVerdict(verification: unknown, detail = false): string | null {
  const drill = verification as { status?: string; checkedAt?: string; details?: { problems?: string[] } } | null | undefined;
  if (!drill?.status) return null;
  if (drill.status === 'pending') return 'drill pending';
  const problems = drill.details?.problems ?? [];
  if (!detail || drill.status !== 'failed' || problems.length === 0) return drill.status;
  return `failed: ${problems.join('; ')}`;
}

/**
 * EXPIRES as the API's one expiry rule gives it in the backup view: `due now (since …)` for a
 * backup the retention preview would expire now, its expiry time otherwise, `kept` when the
 * policy keeps it indefinitely.
 */
export function formatExpiry(backup: { status: string; expiresAt: string | null; expiring: boolean }, timeZone?: string): string {
  if (backup.status !== 'succeeded') return '-';
  if (backup.expiring) return `due now (since ${formatTime(backup.expiresAt, timeZone)})`;
  return formatTime(backup.expiresAt, timeZone) ?? 'kept';
}
