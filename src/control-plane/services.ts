import type { Kysely, Selectable } from 'kysely';
import { backupSettingsOf, type Engine, type NetworkPolicy, type ServiceBackupSettings } from '../contracts/index.js';
import { isUniqueViolation } from '../db/errors.js';
import { executePrepared, preparedStatement } from '../db/prepared-statements.js';
import { seal } from '../secrets/sealed-box.js';
import { ApiError, apiErrors } from './errors.js';
import { newId } from './ids.js';
import { serviceBlock } from './service-block.js';
import { controlSchema, type ControlTables, serviceColumns } from './tables.js';

export type ServiceRow = Selectable<ControlTables['services']>;

export interface NewService {
  projectId: string;
  name: string;
  engine: Engine;
  connection: { host: string; port: number; database: string; user: string; password: string };
  /** What its backups leave out; unset: nothing. */
  backupSettings?: ServiceBackupSettings;
}

/** A new service's id and its password sealed to it: what a connection check of the registration carries before it is saved. */
export function sealRegistration(credentialsKey: Buffer, password: string): { id: string; sealedPassword: string } {
  const id = newId('svc');
  return { id, sealedPassword: seal(credentialsKey, password, id) };
}

/**
 * Registers a catalog service. The password is sealed with the credentials key, bound to the
 * service id; `sealed` reuses the id and sealed password its connection check carried.
 */
export async function registerService(db: Kysely<ControlTables>, credentialsKey: Buffer, input: NewService, sealed = sealRegistration(credentialsKey, input.connection.password)): Promise<ServiceRow> {
  const { id } = sealed;
  try {
    return await db
      .insertInto('services')
      .values({
        id,
        project_id: input.projectId,
        name: input.name,
        engine: input.engine,
        host: input.connection.host,
        port: input.connection.port,
        database_name: input.connection.database,
        username: input.connection.user,
        sealed_password: sealed.sealedPassword,
        backup_settings: JSON.stringify(backupSettingsOf(input.backupSettings)),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    throw nameTakenOr(error, input.name);
  }
}

/** `service_name_taken` for a name another active service of the project holds; other errors as they are. */
export function nameTakenOr(error: unknown, name: string): unknown {
  if (isUniqueViolation(error, 'services_name_per_project')) {
    return new ApiError('service_name_taken', `this project already has an active service named ${name}; choose another name, or remove that one first`, { cause: error });
  }
  return error;
}

/** A project's active services, or (`archived`) its archived ones; purged ones never. */
export async function listServices(db: Kysely<ControlTables>, projectId: string, options: { archived?: boolean } = {}): Promise<ServiceRow[]> {
  const query = db.selectFrom('services').selectAll().where('project_id', '=', projectId).where('purged_at', 'is', null);
  return (options.archived ? query.where('archived_at', 'is not', null) : query.where('archived_at', 'is', null)).orderBy('name').orderBy('archived_at', 'desc').execute();
}

// Every request about a service starts here: prepared.
const findServiceStatement = preparedStatement('find_service', `SELECT ${serviceColumns.join(', ')} FROM ${controlSchema}.services WHERE id = $1 AND purged_at IS NULL`);

/**
 * An active or archived service (its backups are still read through it), or a not-found error;
 * a purged one is not found. Callers that start something new refuse an archived one
 * (`refuseArchivedService`).
 */
export async function findService(db: Kysely<ControlTables>, serviceId: string): Promise<ServiceRow> {
  const [row] = await executePrepared<ServiceRow>(db, findServiceStatement, [serviceId]);
  if (!row) throw apiErrors.notFound('service', serviceId);
  return row;
}

/** Throws `service_archived` for an archived service: nothing new (backup, schedule, change, overwrite) starts on it. */
export function refuseArchivedService(row: Pick<ServiceRow, 'name' | 'archived_at'>, doing: string): void {
  if (row.archived_at) throw apiErrors.serviceArchived(row.name, doing);
}

export function serviceView(row: ServiceRow, policy?: NetworkPolicy, duplicateOf: string | null = null) {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    engine: row.engine,
    connection: { host: row.host, port: row.port, database: row.database_name, user: row.username },
    blocked: serviceBlock(row, policy),
    ...backupSettingsOf(row.backup_settings),
    createdAt: row.created_at.toISOString(),
    archivedAt: row.archived_at?.toISOString() ?? null,
    duplicateOf,
  };
}
