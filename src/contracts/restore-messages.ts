import { z } from 'zod';
import { lockWaitTimeoutSeconds } from './agent-job.js';
import { connectionSchema } from './backup-messages.js';
import { databaseObject, droppedObjects } from './contents.js';
import { engines } from './engines.js';
import { envelopeOf } from './envelope.js';
import { failureSchema } from './failures.js';
import { networkPolicySchema } from './network-policy.js';

/** Where a restore goes: a new database on the service's server, or over the service's own database. */
export const restoreTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('new_database'), database: z.string().min(1).max(63) }),
  z.object({ kind: z.literal('in_place') }),
]);
export type RestoreTarget = z.infer<typeof restoreTarget>;

export const storedArtifact = z.object({ key: z.string().min(1), sizeBytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

export const restoreRequested = envelopeOf(
  'restore.requested',
  z.object({
    restoreId: z.string().min(1),
    backupId: z.string().min(1),
    serviceId: z.string().min(1),
    /** Commands recorded before MariaDB came name no engine: they were PostgreSQL's. */
    engine: z.enum(engines).default('postgresql'),
    connection: connectionSchema,
    sealedPassword: z.string().min(1),
    /** The artifact as recorded when its backup succeeded: the agent checks it before restoring anything. */
    artifact: storedArtifact,
    target: restoreTarget,
    /** What an in-place restore leaves standing though the backup lacks it: what the backup left out on purpose. */
    keep: z.array(databaseObject).optional(),
    deadlineSeconds: z.number().int().positive(),
  }),
);

export const restoreStarted = envelopeOf(
  'restore.started',
  z.object({ restoreId: z.string().min(1), jobId: z.string().min(1), attempt: z.number().int().positive(), startedAt: z.iso.datetime({ offset: true }) }),
);

export const restoreSucceeded = envelopeOf(
  'restore.succeeded',
  z.object({
    restoreId: z.string().min(1),
    database: z.string(),
    /** In place: the objects not in the backup that were dropped. */
    dropped: droppedObjects.optional(),
    startedAt: z.iso.datetime({ offset: true }),
    finishedAt: z.iso.datetime({ offset: true }),
  }),
);

export const restoreFailed = envelopeOf(
  'restore.failed',
  z.object({ restoreId: z.string().min(1), failure: failureSchema, startedAt: z.iso.datetime({ offset: true }).nullable(), finishedAt: z.iso.datetime({ offset: true }) }),
);

export const restoreEvent = z.discriminatedUnion('type', [restoreStarted, restoreSucceeded, restoreFailed]);
export type RestoreRequested = z.infer<typeof restoreRequested>;
export type RestoreEvent = z.infer<typeof restoreEvent>;

/** What the orchestrator tells `lifeboat agent restore` (LIFEBOAT_JOB); the password arrives as LIFEBOAT_DATABASE_PASSWORD. */
export const restoreJobSpec = z.object({
  kind: z.literal('restore'),
  jobId: z.string().min(1),
  restoreId: z.string().min(1),
  engine: z.enum(engines).default('postgresql'),
  connection: connectionSchema,
  artifact: storedArtifact,
  target: restoreTarget,
  keep: z.array(databaseObject).optional(),
  lockWaitTimeoutSeconds,
  networkPolicy: networkPolicySchema.optional(),
});
export type RestoreJobSpec = z.infer<typeof restoreJobSpec>;

export const restoreReport = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('succeeded'), database: z.string(), dropped: droppedObjects.optional() }),
  z.object({ outcome: z.literal('failed'), failure: failureSchema }),
  z.object({ outcome: z.literal('canceled') }),
]);
export type RestoreReport = z.infer<typeof restoreReport>;
