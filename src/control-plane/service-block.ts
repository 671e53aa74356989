import { isIP } from 'node:net';
import type { Kysely, Selectable } from 'kysely';
import type { Logger } from 'pino';
import { connectionProblems, type NetworkPolicy } from '../contracts/index.js';
import { checkTarget, isUnrestricted, resolveTarget, TargetNotAllowedError } from '../network-policy/network-policy.js';
import { ApiError } from './errors.js';
import type { ControlTables } from './tables.js';

type StoredConnection = Pick<Selectable<ControlTables['services']>, 'host' | 'port' | 'database_name' | 'username'>;

/** Why no new job of a service may run, as its API view shows it. */
export interface ServiceBlock {
  code: 'target_not_allowed';
  message: string;
}

const outsideNetworks = "its host is not in a network the operator allows services in (LIFEBOAT_SERVICE_NETWORKS); ask the operator, or register it again with a host there";

/**
 * A service registered before today's rules whose stored connection they refuse: a database
 * name holding `=`, a host that is a path, or an address outside the operator's network policy
 * (checked here for hosts written as addresses; a name is checked by the agent when it
 * resolves). It is shown, logged at start-up and refused for new jobs, never silently run;
 * registering it again with plain values mends it.
 */
export function serviceBlock(row: StoredConnection, policy?: NetworkPolicy): ServiceBlock | null {
  const problems = connectionProblems({ host: row.host, port: row.port, database: row.database_name, user: row.username });
  if (problems.length > 0) {
    return { code: 'target_not_allowed', message: `its connection is not allowed (${problems.join('; ')}); remove it and register it again with plain values` };
  }
  const address = row.host.replace(/^\[(.*)\]$/, '$1');
  if (policy && isIP(address) && checkTarget(policy, { host: row.host, address, port: row.port }) !== null) {
    return { code: 'target_not_allowed', message: outsideNetworks };
  }
  return null;
}

/** Throws `service_blocked` for a blocked service: no backup or restore is recorded for it. */
export function refuseBlockedService(row: StoredConnection & { name: string }, policy?: NetworkPolicy): void {
  const block = serviceBlock(row, policy);
  if (block) throw new ApiError('service_blocked', `service ${row.name} cannot run jobs: ${block.message}`);
}

type ReportedService = StoredConnection & Pick<Selectable<ControlTables['services']>, 'id' | 'project_id' | 'name'>;

/**
 * One log line per blocked service at start-up, so the operator sees them before a user does.
 * Services whose host is a name are resolved afterwards, in the background and one at a time:
 * a start-up must not wait on (or burst) DNS.
 */
export async function reportBlockedServices(db: Kysely<ControlTables>, logger: Logger, policy?: NetworkPolicy): Promise<void> {
  const rows = await db.selectFrom('services').select(['id', 'project_id', 'name', 'host', 'port', 'database_name', 'username']).where('archived_at', 'is', null).execute();
  const names: ReportedService[] = [];
  for (const row of rows) {
    const block = serviceBlock(row, policy);
    if (block) logBlocked(logger, row, block);
    else if (policy && !isUnrestricted(policy) && isIP(row.host.replace(/^\[(.*)\]$/, '$1')) === 0) names.push(row);
  }
  if (policy && names.length > 0) void reportNamesOutsideNetworks(names, policy, logger);
}

async function reportNamesOutsideNetworks(rows: ReportedService[], policy: NetworkPolicy, logger: Logger): Promise<void> {
  for (const row of rows) {
    const refused = await resolveTarget(policy, row.host, row.port).then(
      () => false,
      (error: unknown) => error instanceof TargetNotAllowedError,
    );
    if (refused) logBlocked(logger, row, { code: 'target_not_allowed', message: outsideNetworks });
  }
}

function logBlocked(logger: Logger, row: ReportedService, block: ServiceBlock): void {
  logger.warn({ serviceId: row.id, projectId: row.project_id, service: row.name, code: block.code }, `service ${row.name} (${row.id}) is blocked: ${block.message}`);
}
