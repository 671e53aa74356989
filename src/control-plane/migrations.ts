import type { Migration } from 'kysely';
import { sqlMigration } from '../db/migrations.js';
import { outboxAndInboxStatements } from '../outbox/tables.js';

export const controlMigrations: Record<string, Migration> = {
  '0001_initial': sqlMigration(
    `CREATE TABLE control.projects (
      id text PRIMARY KEY,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE TABLE control.project_tokens (
      id text PRIMARY KEY,
      project_id text NOT NULL REFERENCES control.projects(id),
      role text NOT NULL CHECK (role IN ('viewer', 'member', 'owner')),
      token_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    )`,
    `CREATE TABLE control.services (
      id text PRIMARY KEY,
      project_id text NOT NULL REFERENCES control.projects(id),
      name text NOT NULL,
      engine text NOT NULL CHECK (engine IN ('postgresql')),
      host text NOT NULL,
      port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
      database_name text NOT NULL,
      username text NOT NULL,
      sealed_password text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      deleted_at timestamptz
    )`,
    `CREATE UNIQUE INDEX services_name_per_project ON control.services (project_id, name) WHERE deleted_at IS NULL`,
    `CREATE TABLE control.backups (
      id text PRIMARY KEY,
      project_id text NOT NULL REFERENCES control.projects(id),
      service_id text NOT NULL REFERENCES control.services(id),
      status text NOT NULL CHECK (status IN ('requested', 'queued', 'running', 'succeeded', 'failed', 'canceled', 'expired', 'deleted')),
      trigger text NOT NULL CHECK (trigger IN ('manual', 'scheduled')),
      idempotency_key text,
      requested_by text NOT NULL,
      requested_at timestamptz NOT NULL DEFAULT now(),
      queued_at timestamptz,
      started_at timestamptz,
      finished_at timestamptz,
      artifact_key text,
      manifest_key text,
      size_bytes bigint,
      sha256 text,
      server_version text,
      tool_version text,
      expires_at timestamptz,
      failure_code text,
      failure_message text,
      verification jsonb,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    // Invariant 4: at most one backup of a service in progress, enforced here and nowhere else.
    `CREATE UNIQUE INDEX backups_one_in_progress ON control.backups (service_id) WHERE status IN ('requested', 'queued', 'running')`,
    `CREATE UNIQUE INDEX backups_idempotency_key ON control.backups (service_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    `CREATE INDEX backups_newest_first ON control.backups (service_id, requested_at DESC, id DESC)`,
    `CREATE TABLE control.settings (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    ...outboxAndInboxStatements('control'),
  ),
  '0002_schedules': sqlMigration(
    `CREATE TABLE control.schedules (
      service_id text PRIMARY KEY REFERENCES control.services(id),
      project_id text NOT NULL REFERENCES control.projects(id),
      cron text NOT NULL,
      timezone text NOT NULL,
      retention jsonb NOT NULL DEFAULT '{}',
      next_run_at timestamptz,
      last_run_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX schedules_due ON control.schedules (next_run_at)`,
    // One row per slot, whatever happened: a slot fires at most once, and a skip says why.
    `CREATE TABLE control.schedule_runs (
      id bigserial PRIMARY KEY,
      service_id text NOT NULL REFERENCES control.services(id),
      slot_at timestamptz NOT NULL,
      fired_at timestamptz NOT NULL DEFAULT now(),
      outcome text NOT NULL CHECK (outcome IN ('requested', 'skipped')),
      reason text,
      backup_id text,
      UNIQUE (service_id, slot_at)
    )`,
  ),
  '0003_lifecycle': sqlMigration(
    `ALTER TABLE control.backups ADD COLUMN artifact_deleted_at timestamptz`,
    `ALTER TABLE control.backups ADD COLUMN cancel_requested_at timestamptz`,
    `CREATE INDEX backups_succeeded_by_service ON control.backups (service_id, finished_at DESC) WHERE status = 'succeeded'`,
    `CREATE TABLE control.audit_events (
      id bigserial PRIMARY KEY,
      project_id text,
      actor text NOT NULL,
      action text NOT NULL,
      target_kind text NOT NULL,
      target_id text NOT NULL,
      details jsonb NOT NULL DEFAULT '{}',
      at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX audit_events_by_project ON control.audit_events (project_id, id DESC)`,
    `CREATE INDEX audit_events_by_target ON control.audit_events (target_id, id DESC)`,
  ),
  '0004_webhooks': sqlMigration(
    `CREATE TABLE control.webhooks (
      id text PRIMARY KEY,
      project_id text NOT NULL REFERENCES control.projects(id),
      url text NOT NULL,
      sealed_secret text NOT NULL,
      events text[] NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      deleted_at timestamptz
    )`,
    `CREATE INDEX webhooks_by_project ON control.webhooks (project_id) WHERE deleted_at IS NULL`,
    // The webhook outbox: written in the transaction that applies the event it announces.
    `CREATE TABLE control.webhook_deliveries (
      id bigserial PRIMARY KEY,
      webhook_id text NOT NULL REFERENCES control.webhooks(id),
      event_id uuid NOT NULL,
      event_type text NOT NULL,
      payload jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_status integer,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz,
      UNIQUE (webhook_id, event_id)
    )`,
    `CREATE INDEX webhook_deliveries_due ON control.webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
  ),
  '0005_contents': sqlMigration(`ALTER TABLE control.backups ADD COLUMN contents jsonb`),
  '0006_restores': sqlMigration(
    `ALTER TABLE control.backups DROP CONSTRAINT backups_trigger_check`,
    `ALTER TABLE control.backups ADD CONSTRAINT backups_trigger_check CHECK (trigger IN ('manual', 'scheduled', 'safety'))`,
    `CREATE TABLE control.restores (
      id text PRIMARY KEY,
      project_id text NOT NULL REFERENCES control.projects(id),
      service_id text NOT NULL REFERENCES control.services(id),
      backup_id text NOT NULL REFERENCES control.backups(id),
      status text NOT NULL CHECK (status IN ('requested', 'queued', 'running', 'succeeded', 'failed', 'canceled')),
      target jsonb NOT NULL,
      safety_backup_id text REFERENCES control.backups(id),
      requested_by text NOT NULL,
      requested_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      failure_code text,
      failure_message text,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    // One restore of a service at a time, enforced like backups' (and a backup never runs beside one).
    `CREATE UNIQUE INDEX restores_one_in_progress ON control.restores (service_id) WHERE status IN ('requested', 'queued', 'running')`,
    `CREATE INDEX restores_by_service ON control.restores (service_id, requested_at DESC)`,
  ),
  '0007_verification': sqlMigration(`ALTER TABLE control.schedules ADD COLUMN verify boolean NOT NULL DEFAULT false`),
  '0008_progress': sqlMigration(`ALTER TABLE control.backups ADD COLUMN bytes_written bigint`),
  // Woke live views (GET /v1/events) in every API replica when a backup or restore changed; dropped by 0010.
  '0009_change_notifications': sqlMigration(
    `CREATE FUNCTION control.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('lifeboat_changes', NEW.project_id);
        RETURN NEW;
      END;
    $$`,
    `CREATE TRIGGER backups_changed AFTER INSERT OR UPDATE ON control.backups FOR EACH ROW EXECUTE FUNCTION control.notify_change()`,
    `CREATE TRIGGER restores_changed AFTER INSERT OR UPDATE ON control.restores FOR EACH ROW EXECUTE FUNCTION control.notify_change()`,
    `CREATE INDEX backups_changed_by_project ON control.backups (project_id, updated_at)`,
    `CREATE INDEX restores_changed_by_project ON control.restores (project_id, updated_at)`,
  ),
  // A NOTIFY in the transaction that writes a backup makes such transactions commit one at a
  // time (PostgreSQL holds a cluster-wide lock through each commit's flush): live views poll
  // instead (docs/decisions.md).
  '0010_no_change_notifications': sqlMigration(
    `DROP TRIGGER backups_changed ON control.backups`,
    `DROP TRIGGER restores_changed ON control.restores`,
    `DROP FUNCTION control.notify_change()`,
  ),
  // Tokens that expire, and when each was last used (written at most once a minute, see access.ts).
  '0011_token_expiry': sqlMigration(
    `ALTER TABLE control.project_tokens ADD COLUMN expires_at timestamptz`,
    `ALTER TABLE control.project_tokens ADD COLUMN last_used_at timestamptz`,
    `CREATE INDEX project_tokens_by_project ON control.project_tokens (project_id, created_at)`,
  ),
  // What a service's backups leave out (skipUnreadable, excludeTables): one document, so that
  // settings added later (and PATCH) need no migration of their own.
  '0012_backup_exclusions': sqlMigration(`ALTER TABLE control.services ADD COLUMN backup_settings jsonb NOT NULL DEFAULT '{}'::jsonb`),
  // A removed service is archived, not gone: its backups stay readable and restorable, and its
  // name is free again. A purge (an owner's separate action) deletes its backups' files and
  // leaves the row as a tombstone for the audit trail and the backups' records.
  '0013_archived_services': sqlMigration(
    `ALTER TABLE control.services RENAME COLUMN deleted_at TO archived_at`,
    `ALTER TABLE control.services ADD COLUMN purged_at timestamptz`,
    `DROP INDEX control.services_name_per_project`,
    `CREATE UNIQUE INDEX services_name_per_project ON control.services (project_id, name) WHERE archived_at IS NULL`,
    `CREATE INDEX services_by_target ON control.services (project_id, host, port, database_name) WHERE archived_at IS NULL`,
  ),
  // What a running backup waits on: its live state, shown until the wait ends.
  '0014_lock_waits': sqlMigration(`ALTER TABLE control.backups ADD COLUMN lock_wait jsonb`),
  // Connection checks (POST /v1/services/:id/test-connection, and registration). service_id has
  // no foreign key: a registration is checked before its service row exists (docs/decisions.md).
  // No password here: the sealed one travels only in the check.requested command.
  '0015_connection_checks': sqlMigration(
    `CREATE TABLE control.connection_checks (
      id text PRIMARY KEY,
      project_id text NOT NULL REFERENCES control.projects(id),
      service_id text NOT NULL,
      for_registration boolean NOT NULL,
      host text NOT NULL,
      port integer NOT NULL,
      database_name text NOT NULL,
      username text NOT NULL,
      status text NOT NULL CHECK (status IN ('requested', 'succeeded', 'failed')),
      failure_code text,
      failure_message text,
      server_version text,
      tool_version text,
      warnings jsonb NOT NULL DEFAULT '[]',
      requested_by text NOT NULL,
      requested_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    )`,
    `CREATE INDEX connection_checks_by_service ON control.connection_checks (service_id, requested_at DESC)`,
  ),
  // What an in-place restore dropped because the backup did not hold it, and what a restore
  // plan (GET /v1/backups/:id/restore-plan, a check job) found it would drop.
  '0016_restore_drops': sqlMigration(`ALTER TABLE control.restores ADD COLUMN dropped jsonb`, `ALTER TABLE control.connection_checks ADD COLUMN drops jsonb`),
  // Engines are a port (src/engines/): each new engine is one line here.
  '0017_engines': sqlMigration(
    `ALTER TABLE control.services DROP CONSTRAINT services_engine_check`,
    `ALTER TABLE control.services ADD CONSTRAINT services_engine_check CHECK (engine IN ('postgresql', 'mariadb'))`,
  ),
};
