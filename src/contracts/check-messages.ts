import { z } from 'zod';
import { lockWaitTimeoutSeconds } from './agent-job.js';
import { connectionSchema } from './backup-messages.js';
import { engines } from './engines.js';
import { serviceBackupSettings } from './backup-settings.js';
import { databaseObject, droppedObjects } from './contents.js';
import { envelopeOf } from './envelope.js';
import { failureSchema } from './failures.js';
import { networkPolicySchema } from './network-policy.js';
import { storedArtifact } from './restore-messages.js';

/**
 * Asks a check to also say what an in-place restore of this artifact would drop now: the
 * objects of the database its table of contents lacks (`GET /v1/backups/:id/restore-plan`).
 */
export const restorePlan = z.object({
  artifact: storedArtifact,
  keep: z.array(databaseObject),
});
export type RestorePlanRequest = z.infer<typeof restorePlan>;

/**
 * Connection checks: the pre-flight a backup runs (the network policy, the credentials, the
 * database and user the server says it is, pg_dump's version, objects the user cannot read),
 * run alone as a job, without dumping anything. `serviceId` may name a service not yet saved:
 * a registration is checked before it is written (docs/decisions.md).
 */
export const checkRequested = envelopeOf(
  'check.requested',
  z.object({
    checkId: z.string().min(1),
    serviceId: z.string().min(1),
    engine: z.enum(engines),
    connection: connectionSchema,
    /** AES-256-GCM sealed password, bound to the service id; never the plain text. */
    sealedPassword: z.string().min(1),
    deadlineSeconds: z.number().int().positive(),
    /** What its backups leave out: what they may leave out unread, the check does not fail on. */
    backupSettings: serviceBackupSettings.optional(),
    restorePlan: restorePlan.optional(),
  }),
);

const checkedAt = z.iso.datetime({ offset: true });

export const checkSucceeded = envelopeOf(
  'check.succeeded',
  z.object({ checkId: z.string().min(1), serverVersion: z.string(), toolVersion: z.string(), warnings: z.array(z.string()), drops: droppedObjects.optional(), checkedAt }),
);

export const checkFailed = envelopeOf('check.failed', z.object({ checkId: z.string().min(1), failure: failureSchema, checkedAt }));

export type CheckRequested = z.infer<typeof checkRequested>;
export type CheckSucceeded = z.infer<typeof checkSucceeded>;
export type CheckFailed = z.infer<typeof checkFailed>;

/** The events the orchestrator sends back about a connection check: only its verdict. */
export const checkEvent = z.discriminatedUnion('type', [checkSucceeded, checkFailed]);
export type CheckEvent = z.infer<typeof checkEvent>;

/** What the orchestrator tells `lifeboat agent check`; the password arrives as LIFEBOAT_DATABASE_PASSWORD. */
export const checkJobSpec = z.object({
  kind: z.literal('check'),
  jobId: z.string().min(1),
  checkId: z.string().min(1),
  engine: z.enum(engines),
  connection: connectionSchema,
  lockWaitTimeoutSeconds: lockWaitTimeoutSeconds,
  networkPolicy: networkPolicySchema.optional(),
  backupSettings: serviceBackupSettings.optional(),
  restorePlan: restorePlan.optional(),
});
export type CheckJobSpec = z.infer<typeof checkJobSpec>;

export const checkReport = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('succeeded'), serverVersion: z.string(), toolVersion: z.string(), warnings: z.array(z.string()), drops: droppedObjects.optional() }),
  z.object({ outcome: z.literal('failed'), failure: failureSchema }),
  z.object({ outcome: z.literal('canceled') }),
]);
export type CheckReport = z.infer<typeof checkReport>;
