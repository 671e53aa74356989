import type { Kysely } from 'kysely';
import type { ServiceRow } from './services.js';
import type { ControlTables } from './tables.js';

type Target = Pick<ServiceRow, 'id' | 'host' | 'port' | 'database_name' | 'created_at'>;

/** A warning that goes with a service's registration or change: it was accepted, but look. */
export interface ServiceWarning {
  code: 'duplicate_target';
  message: string;
  serviceId: string;
}

/** Host names are case-insensitive; database names are not. */
function targetKey(service: Target): string {
  return `${service.host.toLowerCase()}\u0000${service.port}\u0000${service.database_name}`;
}

/**
 * For each service, the first other one (oldest, then by id) among `services` that points at the
 * same host, port and database, or nothing: two services backing up one database are most
 * likely a mistake (a copied connection), shown on both, never refused.
 */
export function duplicateTargets(services: readonly Target[]): Map<string, string> {
  const byTarget = new Map<string, Target[]>();
  for (const service of services) {
    const key = targetKey(service);
    byTarget.set(key, [...(byTarget.get(key) ?? []), service]);
  }
  const duplicates = new Map<string, string>();
  for (const group of byTarget.values()) {
    if (group.length < 2) continue;
    const ordered = [...group].sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
    for (const service of ordered) duplicates.set(service.id, ordered.find((other) => other.id !== service.id)!.id);
  }
  return duplicates;
}

/** The project's active services' duplicates (see `duplicateTargets`). */
export async function projectDuplicates(db: Kysely<ControlTables>, projectId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('services')
    .select(['id', 'host', 'port', 'database_name', 'created_at'])
    .where('project_id', '=', projectId)
    .where('archived_at', 'is', null)
    .execute();
  return duplicateTargets(rows);
}

/** The warnings for a service just registered or changed. */
export function duplicateWarnings(service: Pick<ServiceRow, 'id' | 'host' | 'port' | 'database_name'>, duplicates: Map<string, string>): ServiceWarning[] {
  const other = duplicates.get(service.id);
  if (!other) return [];
  return [
    {
      code: 'duplicate_target',
      message: `service ${other} of this project already points at ${service.host}:${service.port}/${service.database_name}; two services backing up one database is usually a mistake`,
      serviceId: other,
    },
  ];
}
