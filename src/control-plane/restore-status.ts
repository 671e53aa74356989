import type { DroppedObjects, RestoreEvent } from '../contracts/index.js';

export const restoreStatuses = ['requested', 'queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type RestoreStatus = (typeof restoreStatuses)[number];
export const restoreInProgress: readonly RestoreStatus[] = ['requested', 'queued', 'running'];

function rank(status: RestoreStatus): number {
  return status === 'requested' ? 0 : status === 'queued' ? 1 : status === 'running' ? 2 : 3;
}

export interface RestoreChange {
  status: RestoreStatus;
  started_at?: Date;
  finished_at?: Date;
  failure_code?: string;
  failure_message?: string;
  dropped?: DroppedObjects;
}

/** What a restore event does to a restore in `current` status: forward only, like backups. Pure. */
export function decideRestoreEvent(current: RestoreStatus, event: RestoreEvent): { apply: true; change: RestoreChange } | { apply: false; reason: string } {
  const target: RestoreStatus = event.type === 'restore.started' ? 'running' : event.type === 'restore.succeeded' ? 'succeeded' : 'failed';
  if (rank(target) <= rank(current)) return { apply: false, reason: `already ${current}` };
  switch (event.type) {
    case 'restore.started':
      return { apply: true, change: { status: 'running', started_at: new Date(event.payload.startedAt) } };
    case 'restore.succeeded':
      return {
        apply: true,
        change: { status: 'succeeded', started_at: new Date(event.payload.startedAt), finished_at: new Date(event.payload.finishedAt), ...(event.payload.dropped ? { dropped: event.payload.dropped } : {}) },
      };
    case 'restore.failed':
      return {
        apply: true,
        change: {
          status: 'failed',
          finished_at: new Date(event.payload.finishedAt),
          failure_code: event.payload.failure.code,
          failure_message: event.payload.failure.message,
          ...(event.payload.startedAt ? { started_at: new Date(event.payload.startedAt) } : {}),
        },
      };
  }
}
