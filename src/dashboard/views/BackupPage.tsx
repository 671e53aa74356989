import { useEffect, useState } from 'react';
import { api, ApiError } from '../api.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { bytes, duration, when } from '../format.js';
import type { Backup } from '../types.js';

/** One backup, by its full id: what a backup id links to, from the backups and restores tables and the audit log. */
export function BackupPage({ backupId }: { backupId: string }) {
  const [backup, setBackup] = useState<Backup | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Backup>('GET', `/v1/backups/${backupId}`).then(setBackup, (failure: unknown) => setError(failure instanceof ApiError ? failure.message : String(failure)));
  }, [backupId]);
  if (error) return <p className="error">{error}</p>;
  if (!backup) return <p aria-busy="true">Loading…</p>;
  return (
    <section aria-labelledby="backup-title">
      <p>
        <a href={`#/services/${backup.serviceId}`}>← Its service</a>
      </p>
      <h1 id="backup-title">
        Backup <code>{backup.id}</code>
      </h1>
      <dl className="fields">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={backup.status} />
          {backup.failure && <p className="failure">{backup.failure.message}</p>}
        </dd>
        <dt>Trigger</dt>
        <dd>{backup.trigger}</dd>
        <dt>Requested</dt>
        <dd>{when(backup.requestedAt)}</dd>
        <dt>Duration</dt>
        <dd>{duration(backup.startedAt, backup.finishedAt)}</dd>
        <dt>Size</dt>
        <dd>{bytes(backup.sizeBytes)}</dd>
        <dt>Expires</dt>
        <dd>{backup.status !== 'succeeded' ? '—' : backup.expiring ? `due now (since ${when(backup.expiresAt)}): the next retention sweep expires it` : backup.expiresAt ? when(backup.expiresAt) : 'kept by policy'}</dd>
        <dt>SHA-256</dt>
        <dd>
          <code>{backup.sha256 ?? '—'}</code>
        </dd>
        <dt>Verified</dt>
        <dd>{backup.verification ? <StatusBadge status={backup.verification.status} /> : '—'}</dd>
      </dl>
    </section>
  );
}
