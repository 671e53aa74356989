import { useEffect, useState } from 'react';
import { api, ApiError } from './api.js';

/** A restore target that overwrites a database, for which the API can say what it would drop. */
export type OverwriteTarget = { kind: 'in_place' } | { kind: 'service'; serviceId: string };

/** GET /v1/backups/:id/restore-plan: the objects of the target database the backup lacks. */
export interface RestorePlan {
  drops: Array<{ kind: string; schema: string | null; name: string }>;
  message: string;
  basis: string;
  checkedAt: string;
}

export type PlanState = { status: 'checking' } | { status: 'ready'; plan: RestorePlan } | { status: 'failed'; message: string };

/** The plan's path for one target; the service id is the only value in it, so it is encoded. */
export function restorePlanPath(backupId: string, target: OverwriteTarget): string {
  const query = target.kind === 'in_place' ? 'target=in_place' : `target=service&serviceId=${encodeURIComponent(target.serviceId)}`;
  return `/v1/backups/${encodeURIComponent(backupId)}/restore-plan?${query}`;
}

/** The first `limit` objects to list by name, and how many are left out ("and N more"). */
export function dropsShown(drops: RestorePlan['drops'], limit = 10): { names: string[]; more: number } {
  const names = drops.slice(0, limit).map((drop) => `${drop.kind} ${drop.schema === null ? drop.name : `${drop.schema}.${drop.name}`}`);
  return { names, more: Math.max(0, drops.length - limit) };
}

/**
 * What a restore over `target` would drop, asked when the target is chosen. The API runs a job
 * against the database for it, so this takes seconds and may fail; neither blocks the restore,
 * which is why a failure is a state to show, not an error thrown. An answer for a target the
 * person has since left is thrown away. null target: nothing to ask (a new database drops nothing).
 */
export function useRestorePlan(backupId: string, target: OverwriteTarget | null): PlanState | null {
  const path = target ? restorePlanPath(backupId, target) : null;
  const [state, setState] = useState<PlanState | null>(null);
  useEffect(() => {
    if (!path) {
      setState(null);
      return;
    }
    let current = true;
    setState({ status: 'checking' });
    api<RestorePlan>('GET', path).then(
      (plan) => current && setState({ status: 'ready', plan }),
      (failure: unknown) => current && setState({ status: 'failed', message: failure instanceof ApiError ? failure.message : String(failure) }),
    );
    return () => {
      current = false;
    };
  }, [path]);
  return state;
}
