import { z } from 'zod';
import { artifactSchema, connectionSchema } from './backup-messages.js';
import { engines } from './engines.js';
import { serviceBackupSettings } from './backup-settings.js';
import { backupContents } from './contents.js';
import { failureSchema } from './failures.js';
import { lockWaitSchema } from './lock-wait.js';
import { networkPolicySchema } from './network-policy.js';

/** The operator's bound on lock waits (LIFEBOAT_LOCK_WAIT_TIMEOUT_SECONDS), carried by every job that touches a service. */
export const lockWaitTimeoutSeconds = z.number().int().positive().max(24 * 3600).default(300);

/**
 * What the orchestrator tells an agent to do (`LIFEBOAT_JOB`, JSON) and what the agent reports
 * back (its last line of standard output, or a Kubernetes termination message). Secrets are not
 * here: the password arrives as LIFEBOAT_DATABASE_PASSWORD in the agent's environment.
 */
export const backupJobSpec = z.object({
  kind: z.literal('backup'),
  jobId: z.string().min(1),
  backupId: z.string().min(1),
  projectId: z.string().min(1),
  serviceId: z.string().min(1),
  engine: z.enum(engines),
  connection: connectionSchema,
  /** Folder in object storage that holds the artifact and its manifest. */
  artifactPrefix: z.string().min(1),
  /** How long the job waits for a lock on the service's database before it fails with `lock_timeout`. */
  lockWaitTimeoutSeconds: lockWaitTimeoutSeconds,
  /** The addresses the job may connect to (the operator's policy); absent: any, as under `serve`. */
  networkPolicy: networkPolicySchema.optional(),
  /** What the dump leaves out (the service's `skipUnreadable` and `excludeTables`); absent: nothing. */
  backupSettings: serviceBackupSettings.optional(),
});
export type BackupJobSpec = z.infer<typeof backupJobSpec>;

export const agentReport = z.discriminatedUnion('outcome', [
  z.object({
    outcome: z.literal('succeeded'),
    artifact: artifactSchema,
    serverVersion: z.string(),
    toolVersion: z.string(),
    contents: backupContents.optional(),
  }),
  z.object({ outcome: z.literal('failed'), failure: failureSchema }),
  z.object({ outcome: z.literal('canceled') }),
]);
export type AgentReport = z.infer<typeof agentReport>;

/** A progress line the agent prints while it streams, so the orchestrator can report bytes written. */
export const agentProgress = z.object({
  progress: z.object({
    bytesWritten: z.number().int().nonnegative(),
    /** Present when it changed: the lock the backup's sessions now wait on, or null once they no longer wait. */
    lockWait: lockWaitSchema.nullable().optional(),
  }),
});
export type AgentProgress = z.infer<typeof agentProgress>['progress'];

/** Where a backup's files live: the layout DESIGN.md promises. */
export function artifactPrefixOf(ids: { projectId: string; serviceId: string; backupId: string }): string {
  return `projects/${ids.projectId}/services/${ids.serviceId}/backups/${ids.backupId}/`;
}

/**
 * The job of a standby agent (`lifeboat agent standby`, started by the local runner before it has
 * a job): the first line of its standard input, JSON. `args` and `env` are what a cold agent
 * would have been started with, secrets included; nothing follows, and the pipe stays open so
 * the agent notices its orchestrator going away.
 */
export const standbyAssignment = z.object({
  args: z.tuple([z.literal('agent'), z.enum(['backup', 'restore', 'verify', 'check'])]),
  env: z.record(z.string(), z.string()),
});
export type StandbyAssignment = z.infer<typeof standbyAssignment>;
