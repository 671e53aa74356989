import type { Backup, Service } from './types.js';

/**
 * The services a backup can be restored over besides its own: the project's active ones (the
 * list the API gives without archived=true) of the backup's engine. The API refuses the rest,
 * so offering them would only lead to a refusal after the name was typed.
 */
export function otherServiceTargets(active: Service[], backup: Pick<Backup, 'serviceId'>, engine: string): Service[] {
  return active.filter((candidate) => candidate.id !== backup.serviceId && candidate.engine === engine && candidate.archivedAt === null);
}

/** Why the backup cannot be restored over its own service, or null when it can. */
export function inPlaceRefusal(service: Pick<Service, 'name' | 'archivedAt'>): string | null {
  return service.archivedAt ? `${service.name} is archived: its backups restore into a new database or over another service, never over itself` : null;
}

/** Why no other service can be chosen, or null when one can (undefined: the list is still loading). */
export function otherServiceRefusal(targets: Service[] | undefined, listFailure: string | null): string | null {
  if (listFailure) return `could not list the project's services: ${listFailure}`;
  if (targets === undefined) return 'listing the services…';
  return targets.length === 0 ? 'no other service of this engine' : null;
}
