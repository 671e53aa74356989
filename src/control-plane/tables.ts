import type { ColumnType, Generated } from 'kysely';
import type { BackupTrigger, Engine, DroppedObjects, RestoreTarget } from '../contracts/index.js';
import type { OutboxAndInbox } from '../outbox/tables.js';
import type { BackupStatus } from './backup-status.js';
import type { RestoreStatus } from './restore-status.js';

/**
 * Where a restore goes, as recorded: the agent's targets, or over another service of the
 * project (sent to the agent as in place, with that service's connection).
 */
export type RecordedRestoreTarget = RestoreTarget | { kind: 'service'; serviceId: string };

/** The control plane's tables, in the `control` schema of the platform database. */
export const controlSchema = 'control';

export interface ControlTables extends OutboxAndInbox {
  projects: {
    id: string;
    name: string;
    created_at: Generated<Date>;
  };
  project_tokens: {
    id: string;
    project_id: string;
    role: 'viewer' | 'member' | 'owner';
    /** SHA-256 of the token; the token itself is shown once and never stored. */
    token_hash: string;
    created_at: Generated<Date>;
    revoked_at: Date | null;
    /** Null: the token does not expire. */
    expires_at: Date | null;
    /** To the minute: refreshed only when older than that, so that reads do not become writes. */
    last_used_at: Date | null;
  };
  connection_checks: {
    id: string;
    project_id: string;
    /** The service checked, or the id a registration being checked will have if it is saved. */
    service_id: string;
    for_registration: boolean;
    host: string;
    port: number;
    database_name: string;
    username: string;
    status: 'requested' | 'succeeded' | 'failed';
    failure_code: string | null;
    failure_message: string | null;
    server_version: string | null;
    tool_version: string | null;
    warnings: ColumnType<string[], string | undefined, string>;
    /** A restore plan's answer (DroppedObjects): what an in-place restore would drop. */
    drops: ColumnType<DroppedObjects | null, string | null | undefined, string | null>;
    requested_by: string;
    requested_at: Generated<Date>;
    finished_at: Date | null;
  };
  services: {
    id: string;
    project_id: string;
    name: string;
    engine: Engine;
    host: string;
    port: number;
    database_name: string;
    username: string;
    sealed_password: string;
    created_at: Generated<Date>;
    /** Removed from the catalog: no new backups or schedules; its backups stay readable and restorable. */
    archived_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    /** Set with archived_at by a purge: its backups' files are deleted and nothing of it is shown. */
    purged_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    /** `serviceBackupSettings` (contracts), as JSON; `{}` for services registered before it. */
    backup_settings: Generated<unknown>;
  };
  backups: {
    id: string;
    project_id: string;
    service_id: string;
    status: BackupStatus;
    trigger: BackupTrigger;
    idempotency_key: string | null;
    requested_by: string;
    requested_at: Generated<Date>;
    queued_at: Date | null;
    started_at: Date | null;
    finished_at: Date | null;
    artifact_key: string | null;
    manifest_key: string | null;
    size_bytes: number | null;
    sha256: string | null;
    server_version: string | null;
    tool_version: string | null;
    expires_at: Date | null;
    failure_code: string | null;
    failure_message: string | null;
    verification: ColumnType<unknown, string | null, string | null>;
    updated_at: Generated<Date>;
    artifact_deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    cancel_requested_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    contents: ColumnType<unknown, string | null | undefined, string | null>;
    /** How far a running backup has got, from its progress events. */
    bytes_written: ColumnType<number | null, number | null | undefined, number | null>;
    /** The lock a running backup waits on (a LockWait), from its progress events; null when it waits on none. */
    lock_wait: ColumnType<unknown, string | null | undefined, string | null>;
  };
  restores: {
    id: string;
    project_id: string;
    service_id: string;
    backup_id: string;
    status: RestoreStatus;
    target: ColumnType<RecordedRestoreTarget, string, string>;
    /** An in-place restore waits for this backup of the service's current data first. */
    safety_backup_id: string | null;
    requested_by: string;
    requested_at: Generated<Date>;
    started_at: Date | null;
    finished_at: Date | null;
    failure_code: string | null;
    failure_message: string | null;
    /** In place: the objects not in the backup it dropped (DroppedObjects); null otherwise, or before it ended. */
    dropped: ColumnType<DroppedObjects | null, string | null | undefined, string | null>;
    updated_at: Generated<Date>;
  };
  audit_events: {
    id: Generated<number>;
    project_id: string | null;
    actor: string;
    action: string;
    target_kind: string;
    target_id: string;
    details: ColumnType<unknown, string | undefined, string>;
    at: Generated<Date>;
  };
  schedules: {
    service_id: string;
    project_id: string;
    cron: string;
    timezone: string;
    retention: ColumnType<unknown, string, string>;
    next_run_at: Date | null;
    last_run_at: Date | null;
    /** Run a restore drill after each scheduled backup succeeds. */
    verify: ColumnType<boolean, boolean | undefined, boolean>;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  schedule_runs: {
    id: Generated<number>;
    service_id: string;
    slot_at: Date;
    fired_at: Generated<Date>;
    outcome: 'requested' | 'skipped';
    reason: string | null;
    backup_id: string | null;
  };
  webhooks: {
    id: string;
    project_id: string;
    url: string;
    sealed_secret: string;
    events: string[];
    created_at: Generated<Date>;
    deleted_at: Date | null;
  };
  webhook_deliveries: {
    id: Generated<number>;
    webhook_id: string;
    event_id: string;
    event_type: string;
    payload: ColumnType<unknown, string, string>;
    status: 'pending' | 'delivered' | 'failed';
    attempts: Generated<number>;
    next_attempt_at: Generated<Date>;
    last_status: number | null;
    last_error: string | null;
    created_at: Generated<Date>;
    delivered_at: Date | null;
  };
  settings: {
    key: string;
    value: ColumnType<unknown, string, string>;
    updated_at: Generated<Date>;
  };
}

/**
 * Every column of a table, named: for prepared statements, which must not select `*`
 * (db/prepared-statements.ts). The types fail to compile when a column is missing.
 */
function allColumns<Table>() {
  return <const Columns extends readonly (keyof Table & string)[]>(columns: Exclude<keyof Table, Columns[number]> extends never ? Columns : never) => columns;
}

export const serviceColumns = allColumns<ControlTables['services']>()(['id', 'project_id', 'name', 'engine', 'host', 'port', 'database_name', 'username', 'sealed_password', 'created_at', 'archived_at', 'purged_at', 'backup_settings']);

export const backupColumns = allColumns<ControlTables['backups']>()([
  'id', 'project_id', 'service_id', 'status', 'trigger', 'idempotency_key', 'requested_by', 'requested_at', 'queued_at', 'started_at', 'finished_at', 'artifact_key',
  'manifest_key', 'size_bytes', 'sha256', 'server_version', 'tool_version', 'expires_at', 'failure_code', 'failure_message', 'verification', 'updated_at',
  'artifact_deleted_at', 'cancel_requested_at', 'contents', 'bytes_written', 'lock_wait',
]);
