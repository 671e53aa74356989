import type { ApiClient } from './api-client.js';
import type { Backup, Restore } from './context.js';
import { ProgressBar } from './progress.js';

const terminal = new Set(['succeeded', 'failed', 'canceled', 'expired', 'deleted']);

/**
 * Each read asks the API to answer once the record has ended or a second has passed: the end is
 * shown the moment the API knows it, and the bar moves every second without the CLI polling.
 */
const waitSeconds = 1;

/** Waits for a backup to end, drawing its bytes written on a terminal. */
export async function waitForBackup(api: ApiClient, backupId: string): Promise<Backup> {
  const bar = new ProgressBar();
  for (;;) {
    const backup = await api.request<Backup>('GET', `/v1/backups/${backupId}?waitSeconds=${waitSeconds}`);
    if (terminal.has(backup.status)) {
      bar.done();
      return backup;
    }
    // A lock wait is what a user most needs to see: it says who holds the backup up.
    bar.update(backup.lockWait ? `backup ${backup.status}, ${backup.lockWait.message}` : `backup ${backup.status}`, backup.bytesWritten, undefined);
  }
}

export async function waitForRestore(api: ApiClient, restoreId: string): Promise<Restore> {
  const bar = new ProgressBar();
  for (;;) {
    const restore = await api.request<Restore>('GET', `/v1/restores/${restoreId}?waitSeconds=${waitSeconds}`);
    if (terminal.has(restore.status)) {
      bar.done();
      return restore;
    }
    bar.update(`restore ${restore.status}`, null, undefined);
  }
}

/** Waits until a backup's restore drill has a verdict, with reads that wait for it (`waitFor=verification`). */
export async function waitForVerification(api: ApiClient, backupId: string): Promise<Backup> {
  for (;;) {
    const backup = await api.request<Backup>('GET', `/v1/backups/${backupId}?waitSeconds=30&waitFor=verification`);
    if ((backup.verification as { status?: string } | null)?.status !== 'pending') return backup;
  }
}
