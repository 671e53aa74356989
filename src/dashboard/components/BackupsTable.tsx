import { api } from '../api.js';
import { bytes, duration, when } from '../format.js';
import { type Backup, inProgress } from '../types.js';
import { StatusBadge } from './StatusBadge.js';

export interface BackupActions {
  onRestore: (backup: Backup) => void;
  onContents: (backup: Backup) => void;
  onError: (message: string) => void;
  canAct: boolean;
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

/** A service's backups, each with only the actions that can work on it now. */
export function BackupsTable({ backups, actions }: { backups: Backup[]; actions: BackupActions }) {
  const attempt = (work: () => Promise<unknown>) => () => void work().catch((error: Error) => actions.onError(error.message));
  if (backups.length === 0) return <p>No backups yet.</p>;
  return (
    <table className="cards backups">
      <thead>
        <tr>
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
          <tr key={backup.id} data-backup-id={backup.id}>
            <td data-label="Status">
              <StatusBadge status={backup.status} />
              {backup.status === 'running' && backup.bytesWritten !== null && <span className="progress"> {bytes(backup.bytesWritten)} written</span>}
              {backup.lockWait && <p className="lock-wait">{backup.lockWait.message}</p>}
              {backup.failure && <p className="failure">{backup.failure.message}</p>}
            </td>
            <td data-label="Trigger">{backup.trigger}</td>
            <td data-label="Started">{when(backup.startedAt ?? backup.requestedAt)}</td>
            <td data-label="Duration">{duration(backup.startedAt, backup.finishedAt)}</td>
            <td data-label="Size">{bytes(backup.sizeBytes)}</td>
            <td data-label="Expires">{backup.status === 'succeeded' ? (backup.expiresAt ? when(backup.expiresAt) : 'kept by policy') : '—'}</td>
            <td data-label="Verified">{backup.verification ? <StatusBadge status={backup.verification.status} /> : '—'}</td>
            <td className="row-actions">
              {backup.status === 'succeeded' && (
                <>
                  <button type="button" onClick={attempt(() => download(backup))} aria-label={`Download backup ${backup.id}`}>
                    Download
                  </button>
                  <button type="button" className="secondary" onClick={() => actions.onContents(backup)}>
                    Contents
                  </button>
                  {actions.canAct && (
                    <button type="button" className="secondary" onClick={() => actions.onRestore(backup)}>
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
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
