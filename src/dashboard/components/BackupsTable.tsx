import { api } from '../api.js';
import { bytes, duration, shortId, when } from '../format.js';
import { type Backup, inProgress } from '../types.js';
import { StatusBadge } from './StatusBadge.js';

export interface BackupActions {
  onRestore: (backup: Backup) => void;
  onContents: (backup: Backup) => void;
  /** Runs a restore drill of the backup; absent when the service's engine cannot drill here. */
  onVerify?: (backup: Backup) => void;
  /** Whether the engine records what a backup holds. */
  hasContents: boolean;
  onError: (message: string) => void;
  canAct: boolean;
  /** Why restoring cannot start now (a running backup or restore, the kill switch, a blocked service): the button stays, disabled, with it. */
  restoreBlockedBecause: string | null;
  /** Deleting by hand needs the owner role; other roles do not see the button. */
  canDelete: boolean;
}

/** Fetches a fresh short-lived link at click time and lets the browser download it. */
async function download(backup: Backup): Promise<void> {
  const { url } = await api<{ url: string }>('POST', `/v1/backups/${backup.id}/download-url`);
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  document.body.append(link);
  link.click();
  link.remove();
}

/** What the Expires column says, by the same decision as the retention preview. */
function expiry(backup: Backup) {
  if (backup.status !== 'succeeded') return '—';
  if (backup.expiring) return <span className="badge badge-expiring" title="The retention policy would expire it now: the next retention sweep does.">due now</span>;
  return backup.expiresAt ? when(backup.expiresAt) : <span title="No rule gives it a date: count rules keep it until newer backups arrive, or it is the newest.">kept by policy</span>;
}

/** A service's backups, each with the actions that apply to it: disabled, with the reason, when they cannot run now. */
export function BackupsTable({ backups, actions }: { backups: Backup[]; actions: BackupActions }) {
  const attempt = (work: () => Promise<unknown>) => () => void work().catch((error: Error) => actions.onError(error.message));
  if (backups.length === 0) return <p>No backups yet.</p>;
  return (
    <table className="cards backups">
      <thead>
        <tr>
          <th scope="col">Backup</th>
          <th scope="col">Status</th>
          <th scope="col">Trigger</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
          <th scope="col">Size</th>
          <th scope="col">Expires</th>
          <th scope="col">Verified</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {backups.map((backup) => (
          <tr key={backup.id} id={`backup-${backup.id}`} data-backup-id={backup.id}>
            <td data-label="Backup">
              <a href={`#/backups/${backup.id}`} className="nowrap" title={backup.id}>
                <code>{shortId(backup.id)}</code>
              </a>
            </td>
            <td data-label="Status">
              <StatusBadge status={backup.status} />
              {backup.status === 'running' && backup.bytesWritten !== null && <span className="progress"> {bytes(backup.bytesWritten)} written</span>}
              {backup.lockWait && <p className="lock-wait">{backup.lockWait.message}</p>}
              {backup.failure && <p className="failure">{backup.failure.message}</p>}
            </td>
            <td data-label="Trigger">{backup.trigger}</td>
            <td data-label="Started" className="nowrap">{when(backup.startedAt ?? backup.requestedAt)}</td>
            <td data-label="Duration" className="nowrap">{duration(backup.startedAt, backup.finishedAt)}</td>
            <td data-label="Size" className="number">{bytes(backup.sizeBytes)}</td>
            <td data-label="Expires">{expiry(backup)}</td>
            <td data-label="Verified">{backup.verification ? <StatusBadge status={backup.verification.status} /> : '—'}</td>
            <td data-label="Actions" className="actions-cell">
              <div className="row-actions">
              {backup.status === 'succeeded' && (
                <>
                  <button type="button" onClick={attempt(() => download(backup))} aria-label={`Download backup ${backup.id}`}>
                    Download
                  </button>
                  {actions.hasContents && (
                    <button type="button" className="secondary" onClick={() => actions.onContents(backup)}>
                      Contents
                    </button>
                  )}
                  {actions.canAct && actions.onVerify && (
                    <button type="button" className="secondary" disabled={backup.verification?.status === 'pending'} onClick={() => actions.onVerify?.(backup)}>
                      Verify
                    </button>
                  )}
                  {actions.canAct && (
                    <button
                      type="button"
                      className="secondary"
                      disabled={actions.restoreBlockedBecause !== null}
                      title={actions.restoreBlockedBecause ?? undefined}
                      aria-describedby={actions.restoreBlockedBecause ? 'backup-now-why' : undefined}
                      onClick={() => actions.onRestore(backup)}
                    >
                      Restore…
                    </button>
                  )}
                  {actions.canDelete && (
                    <button
                      type="button"
                      className="danger"
                      onClick={attempt(async () => {
                        if (confirm('Delete this backup and its files? This cannot be undone.')) await api('DELETE', `/v1/backups/${backup.id}`);
                      })}
                    >
                      Delete
                    </button>
                  )}
                </>
              )}
              {inProgress(backup.status) && (
                <button type="button" className="danger" onClick={attempt(() => api('POST', `/v1/backups/${backup.id}/cancel`))}>
                  Cancel
                </button>
              )}
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
