import type { Migration } from 'kysely';
import { sqlMigration } from '../db/migrations.js';
import { outboxAndInboxStatements } from '../outbox/tables.js';

export const orchestratorMigrations: Record<string, Migration> = {
  '0001_initial': sqlMigration(
    `CREATE TABLE orchestrator.jobs (
      id text PRIMARY KEY,
      backup_id text NOT NULL UNIQUE,
      project_id text NOT NULL,
      service_id text NOT NULL,
      correlation_id text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'canceled')),
      attempt integer NOT NULL DEFAULT 0,
      command jsonb NOT NULL,
      owner text,
      runner_handle text,
      heartbeat_at timestamptz,
      deadline_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      failure_code text,
      failure_message text
    )`,
    `CREATE INDEX jobs_pending ON orchestrator.jobs (created_at) WHERE status = 'pending'`,
    `CREATE INDEX jobs_running ON orchestrator.jobs (heartbeat_at) WHERE status = 'running'`,
    ...outboxAndInboxStatements('orchestrator'),
  ),
  '0002_cancel': sqlMigration(`ALTER TABLE orchestrator.jobs ADD COLUMN cancel_requested_at timestamptz`),
  '0003_settings': sqlMigration(
    `CREATE TABLE orchestrator.settings (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
  ),
  '0004_restore_jobs': sqlMigration(
    `ALTER TABLE orchestrator.jobs ADD COLUMN kind text NOT NULL DEFAULT 'backup' CHECK (kind IN ('backup', 'restore'))`,
    `ALTER TABLE orchestrator.jobs ADD COLUMN restore_id text`,
    `ALTER TABLE orchestrator.jobs DROP CONSTRAINT jobs_backup_id_key`,
    // One job per backup and one per restore (whose backup_id is the backup it restores).
    `CREATE UNIQUE INDEX jobs_one_per_backup ON orchestrator.jobs (backup_id) WHERE kind = 'backup'`,
    `CREATE UNIQUE INDEX jobs_one_per_restore ON orchestrator.jobs (restore_id) WHERE kind = 'restore'`,
  ),
  '0005_verify_jobs': sqlMigration(
    `ALTER TABLE orchestrator.jobs DROP CONSTRAINT jobs_kind_check`,
    `ALTER TABLE orchestrator.jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('backup', 'restore', 'verify'))`,
    `ALTER TABLE orchestrator.jobs ADD COLUMN verification_id text`,
    `CREATE UNIQUE INDEX jobs_one_per_verification ON orchestrator.jobs (verification_id) WHERE kind = 'verify'`,
  ),
  '0006_artifact_deletion': sqlMigration(`ALTER TABLE orchestrator.jobs ADD COLUMN artifact_delete_requested_at timestamptz`),
  // The fair queue asks when each waiting project last had a job started.
  '0007_fair_share': sqlMigration(`CREATE INDEX jobs_project_started ON orchestrator.jobs (project_id, started_at)`),
  // Named as the control plane's migration of the same feature (issue 17), so that the two halves' numbers stay apart from other branches'.
  '0008_connection_checks': sqlMigration(
    `ALTER TABLE orchestrator.jobs DROP CONSTRAINT jobs_kind_check`,
    `ALTER TABLE orchestrator.jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('backup', 'restore', 'verify', 'check'))`,
    `ALTER TABLE orchestrator.jobs ADD COLUMN check_id text`,
    `CREATE UNIQUE INDEX jobs_one_per_check ON orchestrator.jobs (check_id) WHERE kind = 'check'`,
  ),
};
