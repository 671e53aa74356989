import type { BackupEvent, Failure } from '../contracts/index.js';

export const backupStatuses = ['requested', 'queued', 'running', 'succeeded', 'failed', 'canceled', 'expired', 'deleted'] as const;
export type BackupStatus = (typeof backupStatuses)[number];

export const inProgressStatuses: readonly BackupStatus[] = ['requested', 'queued', 'running'];

/**
 * How far along a status is. Transitions only go up, so a late or repeated event (a `started`
 * that arrives after `succeeded`) is recognised and ignored rather than applied backwards.
 */
function rank(status: BackupStatus): number {
  switch (status) {
    case 'requested':
      return 0;
    case 'queued':
      return 1;
    case 'running':
      return 2;
    case 'succeeded':
    case 'failed':
    case 'canceled':
      return 3;
    case 'expired':
    case 'deleted':
      return 4;
  }
}

export function isTerminal(status: BackupStatus): boolean {
  return rank(status) >= 3;
}

export function canMove(from: BackupStatus, to: BackupStatus): boolean {
  if (rank(to) <= rank(from)) return false;
  // Only a backup that succeeded has an artifact to expire or delete.
  if (rank(to) === 4) return from === 'succeeded';
  return true;
}

/** The columns an event sets on a backup record. */
export interface BackupChange {
  status: BackupStatus;
  started_at?: Date;
  finished_at?: Date;
  artifact_key?: string;
  manifest_key?: string;
  size_bytes?: number;
  sha256?: string;
  server_version?: string;
  tool_version?: string;
  /** JSON text of what the backup holds. */
  contents?: string;
  failure_code?: Failure['code'];
  failure_message?: string;
}

export type EventDecision = { apply: true; change: BackupChange } | { apply: false; reason: string };

/** What an event from the orchestrator does to a backup in `current` status. Pure. */
export function decideEvent(current: BackupStatus, event: BackupEvent): EventDecision {
  const ignore = (reason: string): EventDecision => ({ apply: false, reason });
  switch (event.type) {
    case 'backup.progress':
      return ignore('progress is not recorded on the backup');
    case 'backup.started':
      return canMove(current, 'running')
        ? { apply: true, change: { status: 'running', started_at: new Date(event.payload.startedAt) } }
        : ignore(`already ${current}`);
    case 'backup.succeeded': {
      if (!canMove(current, 'succeeded')) return ignore(`already ${current}`);
      const { artifact } = event.payload;
      return {
        apply: true,
        change: {
          status: 'succeeded',
          started_at: new Date(event.payload.startedAt),
          finished_at: new Date(event.payload.finishedAt),
          artifact_key: artifact.key,
          manifest_key: artifact.manifestKey,
          size_bytes: artifact.sizeBytes,
          sha256: artifact.sha256,
          server_version: event.payload.serverVersion,
          tool_version: event.payload.toolVersion,
          ...(event.payload.contents ? { contents: JSON.stringify(event.payload.contents) } : {}),
        },
      };
    }
    case 'backup.failed':
      return canMove(current, 'failed')
        ? {
            apply: true,
            change: {
              status: 'failed',
              finished_at: new Date(event.payload.finishedAt),
              failure_code: event.payload.failure.code,
              failure_message: event.payload.failure.message,
              ...(event.payload.startedAt ? { started_at: new Date(event.payload.startedAt) } : {}),
            },
          }
        : ignore(`already ${current}`);
    case 'backup.canceled':
      return canMove(current, 'canceled')
        ? { apply: true, change: { status: 'canceled', finished_at: new Date(event.payload.finishedAt) } }
        : ignore(`already ${current}`);
  }
}
