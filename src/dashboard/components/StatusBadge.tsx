const labels: Record<string, string> = {
  requested: 'Requested',
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  canceled: 'Canceled',
  expired: 'Expired',
  deleted: 'Deleted',
  passed: 'Passed',
  pending: 'Checking',
};

/** A status in words and colour (the word carries the meaning; colour only helps). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{labels[status] ?? status}</span>;
}
