import type { ApiClient } from './api-client.js';
import type { Backup, Restore } from './context.js';
import { describeLockWait, WaitProgress } from './progress.js';

const terminal = new Set(['succeeded', 'failed', 'canceled', 'expired', 'deleted']);

/**
 * Each read asks the API to answer once the record has ended or a second has passed: the end is
 * shown the moment the API knows it, and the bar moves every second without the CLI polling.
 */
const waitSeconds = 1;

/** Waits for a backup to end, showing its state, bytes written and any lock it waits for (progress.ts). */
export async function waitForBackup(api: ApiClient, backupId: string, progress = new WaitProgress()): Promise<Backup> {
  for (;;) {
    const backup = await api.request<Backup & { lockWait?: unknown }>('GET', `/v1/backups/${backupId}?waitSeconds=${waitSeconds}`);
    if (terminal.has(backup.status)) {
      progress.done();
      return backup;
    }
    progress.show({ label: `backup ${backup.id}`, status: backup.status, bytes: backup.bytesWritten, waitingFor: describeLockWait(backup.lockWait) });
  }
}

export async function waitForRestore(api: ApiClient, restoreId: string, progress = new WaitProgress()): Promise<Restore> {
  for (;;) {
    const restore = await api.request<Restore & { lockWait?: unknown }>('GET', `/v1/restores/${restoreId}?waitSeconds=${waitSeconds}`);
    if (terminal.has(restore.status)) {
      progress.done();
      return restore;
    }
    progress.show({ label: `restore ${restore.id}`, status: restore.status, bytes: null, waitingFor: describeLockWait(restore.lockWait) });
  }
}

/** Waits until a backup's restore drill has a verdict, with reads that wait for it (`waitFor=verification`). */
export async function waitForVerification(api: ApiClient, backupId: string): Promise<Backup> {
  for (;;) {
    const backup = await api.request<Backup>('GET', `/v1/backups/${backupId}?waitSeconds=30&waitFor=verification`);
    if ((backup.verification as { status?: string } | null)?.status !== 'pending') return backup;
  }
}
