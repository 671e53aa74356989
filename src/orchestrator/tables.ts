import type { ColumnType, Generated } from 'kysely';
import type { OutboxAndInbox } from '../outbox/tables.js';

export const orchestratorSchema = 'orchestrator';

/** Backups make artifacts, restores bring them back, verifications are restore drills into a scratch database, checks run a backup's pre-flight alone. */
export type JobKind = 'backup' | 'restore' | 'verify' | 'check';

export const jobStatuses = ['pending', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type JobStatus = (typeof jobStatuses)[number];

/** The orchestrator's own records, in the `orchestrator` schema; it shares no table with the control plane. */
export interface OrchestratorTables extends OutboxAndInbox {
  settings: {
    key: string;
    value: ColumnType<unknown, string, string>;
    updated_at: Generated<Date>;
  };
  jobs: {
    id: string;
    /** A backup job makes this backup; a restore job restores it. One job per backup or restore, however often its command is delivered. */
    kind: ColumnType<JobKind, JobKind | undefined, never>;
    backup_id: string;
    restore_id: string | null;
    verification_id: ColumnType<string | null, string | null | undefined, string | null>;
    /** A connection check's id; its backup_id is empty (it makes and reads no backup). */
    check_id: ColumnType<string | null, string | null | undefined, string | null>;
    project_id: string;
    service_id: string;
    correlation_id: string;
    status: JobStatus;
    attempt: Generated<number>;
    /** The `backup.requested` command as received (its password is sealed). */
    command: ColumnType<unknown, string, string>;
    /** The orchestrator process that runs it, and where (pid, Job name). */
    owner: string | null;
    runner_handle: string | null;
    heartbeat_at: Date | null;
    /** The backup must be terminal by then (invariant 3), counted from its request. */
    deadline_at: Date;
    created_at: Generated<Date>;
    started_at: Date | null;
    finished_at: Date | null;
    failure_code: string | null;
    failure_message: string | null;
    /** Set when a cancel arrives for a running job; its owner stops it. */
    cancel_requested_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    /** The control plane asked for this backup's files to go: from then on the orphan sweep may remove them too. */
    artifact_delete_requested_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  };
}
