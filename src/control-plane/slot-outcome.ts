import type { Availability } from './availability.js';

/** What happened to one slot of a schedule; recorded once per slot in `schedule_runs`. */
export type SlotOutcome = { serviceId: string; slot: Date; outcome: 'requested'; backupId: string } | { serviceId: string; slot: Date; outcome: 'skipped'; reason: string };

/** What the scheduler knows about a service when its slot is due, read under the service's lock. */
export interface SlotCircumstances {
  serviceExists: boolean;
  availability: Availability;
  /** The id of the service's backup in progress, if any. */
  backupInProgress: string | undefined;
  /** The id of the service's restore in progress, if any. */
  restoreInProgress: string | undefined;
}

/** Why a due slot is skipped, or undefined when its backup is to be requested. Pure. */
export function slotSkipReason(circumstances: SlotCircumstances): string | undefined {
  if (!circumstances.serviceExists) return 'the service was removed';
  if (!circumstances.availability.available) return circumstances.availability.reason ?? 'backups are unavailable';
  if (circumstances.backupInProgress) return `backup ${circumstances.backupInProgress} was still in progress`;
  if (circumstances.restoreInProgress) return `restore ${circumstances.restoreInProgress} was in progress`;
  return undefined;
}
