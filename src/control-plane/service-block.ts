import type { Kysely, Selectable } from 'kysely';
import type { Logger } from 'pino';
import { connectionProblems } from '../contracts/index.js';
import { ApiError } from './errors.js';
import type { ControlTables } from './tables.js';

type StoredConnection = Pick<Selectable<ControlTables['services']>, 'host' | 'port' | 'database_name' | 'username'>;

/** Why no new job of a service may run, as its API view shows it. */
export interface ServiceBlock {
  code: 'target_not_allowed';
  message: string;
}

/**
 * A service registered before today's connection rule whose stored connection it refuses (a
 * database name holding `=`, a host that is a path, …). It is shown, logged at start-up and
 * refused for new jobs, never silently run; registering it again with plain values mends it.
 */
export function serviceBlock(row: StoredConnection): ServiceBlock | null {
  const problems = connectionProblems({ host: row.host, port: row.port, database: row.database_name, user: row.username });
  if (problems.length === 0) return null;
  return { code: 'target_not_allowed', message: `its connection is not allowed (${problems.join('; ')}); remove it and register it again with plain values` };
}

/** Throws `service_blocked` for a blocked service: no backup or restore is recorded for it. */
export function refuseBlockedService(row: StoredConnection & { name: string }): void {
  const block = serviceBlock(row);
  if (block) throw new ApiError('service_blocked', `service ${row.name} cannot run jobs: ${block.message}`);
}

/** One log line per blocked service at start-up, so the operator sees them before a user does. */
export async function reportBlockedServices(db: Kysely<ControlTables>, logger: Logger): Promise<void> {
  const rows = await db.selectFrom('services').select(['id', 'project_id', 'name', 'host', 'port', 'database_name', 'username']).where('deleted_at', 'is', null).execute();
  for (const row of rows) {
    const block = serviceBlock(row);
    if (block) logger.warn({ serviceId: row.id, projectId: row.project_id, service: row.name, code: block.code }, `service ${row.name} (${row.id}) is blocked: ${block.message}`);
  }
}
