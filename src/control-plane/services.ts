import type { Kysely, Selectable } from 'kysely';
import { backupSettingsOf, type Engine, type NetworkPolicy, type ServiceBackupSettings } from '../contracts/index.js';
import { isUniqueViolation } from '../db/errors.js';
import { executePrepared, preparedStatement } from '../db/prepared-statements.js';
import { seal } from '../secrets/sealed-box.js';
import { backupInProgress } from './backups.js';
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

/** Registers a catalog service. The password is sealed with the credentials key, bound to the service id. */
export async function registerService(db: Kysely<ControlTables>, credentialsKey: Buffer, input: NewService): Promise<ServiceRow> {
  const id = newId('svc');
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
        sealed_password: seal(credentialsKey, input.connection.password, id),
        deleted_at: null,
        backup_settings: JSON.stringify(backupSettingsOf(input.backupSettings)),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error, 'services_name_per_project')) {
      throw new ApiError('service_name_taken', `this project already has a service named ${input.name}`, { cause: error });
    }
    throw error;
  }
}

export async function listServices(db: Kysely<ControlTables>, projectId: string): Promise<ServiceRow[]> {
  return db.selectFrom('services').selectAll().where('project_id', '=', projectId).where('deleted_at', 'is', null).orderBy('name').execute();
}

// Every request about a service starts here: prepared.
const findServiceStatement = preparedStatement('find_service', `SELECT ${serviceColumns.join(', ')} FROM ${controlSchema}.services WHERE id = $1 AND deleted_at IS NULL`);

/** A live (not removed) service, or a not-found error. */
export async function findService(db: Kysely<ControlTables>, serviceId: string): Promise<ServiceRow> {
  const [row] = await executePrepared<ServiceRow>(db, findServiceStatement, [serviceId]);
  if (!row) throw apiErrors.notFound('service', serviceId);
  return row;
}

/**
 * Removes a service from the catalog. Its backups stay (they are how its data comes back);
 * removal waits until no backup of it is in progress.
 */
export async function removeService(db: Kysely<ControlTables>, service: ServiceRow): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Locks the service first, so a backup requested at the same moment either commits before
    // this check sees it or finds the service gone (requestBackup takes a share lock on it).
    await trx.selectFrom('services').select('id').where('id', '=', service.id).forUpdate().execute();
    const running = await backupInProgress(trx, service.id);
    if (running) throw apiErrors.backupInProgress(service.name, running);
    await trx.updateTable('services').set({ deleted_at: new Date() }).where('id', '=', service.id).execute();
  });
}

export function serviceView(row: ServiceRow, policy?: NetworkPolicy) {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    engine: row.engine,
    connection: { host: row.host, port: row.port, database: row.database_name, user: row.username },
    blocked: serviceBlock(row, policy),
    ...backupSettingsOf(row.backup_settings),
    createdAt: row.created_at.toISOString(),
  };
}
