import type { Kysely } from 'kysely';
import { backupSettingsOf, type ServiceBackupSettings } from '../contracts/index.js';
import { seal, unseal } from '../secrets/sealed-box.js';
import { apiErrors } from './errors.js';
import { nameTakenOr, refuseArchivedService, type ServiceRow } from './services.js';
import type { ControlTables } from './tables.js';

export interface ServiceConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** What a PATCH may change; a field left out keeps its value. */
export interface ServiceChanges {
  name?: string;
  connection?: Partial<ServiceConnection>;
  skipUnreadable?: boolean;
  excludeTables?: string[];
}

/** The backup settings a change leaves the service with: the stored ones, with what it gives. Pure. */
export function changedBackupSettings(service: ServiceRow, changes: ServiceChanges): ServiceBackupSettings {
  const stored = backupSettingsOf(service.backup_settings);
  return { skipUnreadable: changes.skipUnreadable ?? stored.skipUnreadable, excludeTables: changes.excludeTables ?? stored.excludeTables };
}

/** The names of the fields a change sets to a new value (never the password's value): for the audit trail. */
export function changedFields(service: ServiceRow, changes: ServiceChanges): string[] {
  const fields: string[] = [];
  if (changes.name !== undefined && changes.name !== service.name) fields.push('name');
  const connection = changes.connection ?? {};
  const stored = { host: service.host, port: service.port, database: service.database_name, user: service.username };
  for (const field of ['host', 'port', 'database', 'user'] as const) {
    if (connection[field] !== undefined && connection[field] !== stored[field]) fields.push(`connection.${field}`);
  }
  if (connection.password !== undefined) fields.push('connection.password');
  const settings = backupSettingsOf(service.backup_settings);
  if (changes.skipUnreadable !== undefined && changes.skipUnreadable !== settings.skipUnreadable) fields.push('skipUnreadable');
  if (changes.excludeTables !== undefined && JSON.stringify(changes.excludeTables) !== JSON.stringify(settings.excludeTables)) fields.push('excludeTables');
  return fields;
}

/** Whether a change touches how Lifeboat connects (who may make it is the operator's choice). */
export function changesConnection(changes: ServiceChanges): boolean {
  return Object.values(changes.connection ?? {}).some((value) => value !== undefined);
}

/**
 * Changes a service's name or connection. The route checks a new connection (with the stored
 * password when none is given) before this is called, not under the row lock: the check may
 * take half a minute (docs/decisions.md). The row is locked here, so two changes do not
 * interleave, and an archive that landed meanwhile is refused. A name another active service
 * of the project holds is `service_name_taken`. The password is sealed, bound to the service id, as at registration.
 */
export async function updateService(
  db: Kysely<ControlTables>,
  credentialsKey: Buffer,
  service: ServiceRow,
  changes: ServiceChanges,
): Promise<ServiceRow> {
  refuseArchivedService(service, 'be changed');
  try {
    return await db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('services').selectAll().where('id', '=', service.id).forUpdate().executeTakeFirst();
      if (!current || current.purged_at) throw apiErrors.notFound('service', service.id);
      refuseArchivedService(current, 'be changed');
      const given = changes.connection ?? {};
      const connection: ServiceConnection = {
        host: given.host ?? current.host,
        port: given.port ?? current.port,
        database: given.database ?? current.database_name,
        user: given.user ?? current.username,
        password: given.password ?? unseal(credentialsKey, current.sealed_password, current.id),
      };
      const name = changes.name ?? current.name;
      return trx
        .updateTable('services')
        .set({
          name,
          host: connection.host,
          port: connection.port,
          database_name: connection.database,
          username: connection.user,
          backup_settings: JSON.stringify(changedBackupSettings(current, changes)),
          ...(given.password === undefined ? {} : { sealed_password: seal(credentialsKey, given.password, current.id) }),
        })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  } catch (error) {
    throw nameTakenOr(error, changes.name ?? service.name);
  }
}
