import { z } from 'zod';
import { envelopeOf } from './envelope.js';
import { backupContents } from './contents.js';
import { failureSchema } from './failures.js';
import { serviceBackupSettings } from './backup-settings.js';
import { lockWaitSchema } from './lock-wait.js';
import { engines } from './engines.js';

/** `safety`: taken by an in-place restore before it overwrites the service's database. */
export const backupTriggers = ['manual', 'scheduled', 'safety'] as const;
export type BackupTrigger = (typeof backupTriggers)[number];

/** Where the job connects. The password travels sealed (see control-plane/credentials.ts). */
export const connectionSchema = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  database: z.string().min(1).max(63),
  user: z.string().min(1).max(63),
});
export type Connection = z.infer<typeof connectionSchema>;

export const artifactSchema = z.object({
  key: z.string().min(1),
  manifestKey: z.string().min(1),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Artifact = z.infer<typeof artifactSchema>;

export const backupRequested = envelopeOf(
  'backup.requested',
  z.object({
    backupId: z.string().min(1),
    serviceId: z.string().min(1),
    serviceName: z.string().min(1),
    trigger: z.enum(backupTriggers),
    engine: z.enum(engines),
    connection: connectionSchema,
    /** AES-256-GCM sealed password, bound to the service id; never the plain text. */
    sealedPassword: z.string().min(1),
    deadlineSeconds: z.number().int().positive(),
    /** What the backup leaves out; commands recorded before it existed leave out nothing. */
    backupSettings: serviceBackupSettings.optional(),
  }),
);

export const backupStarted = envelopeOf(
  'backup.started',
  z.object({ backupId: z.string().min(1), jobId: z.string().min(1), attempt: z.number().int().positive(), startedAt: z.iso.datetime({ offset: true }) }),
);

export const backupProgress = envelopeOf(
  'backup.progress',
  z.object({
    backupId: z.string().min(1),
    bytesWritten: z.number().int().nonnegative(),
    /** Set when the wait changed: what the backup now waits on, or null once it no longer waits; absent: unchanged. */
    lockWait: lockWaitSchema.nullable().optional(),
  }),
);

export const backupSucceeded = envelopeOf(
  'backup.succeeded',
  z.object({
    backupId: z.string().min(1),
    artifact: artifactSchema,
    serverVersion: z.string(),
    toolVersion: z.string(),
    contents: backupContents.optional(),
    startedAt: z.iso.datetime({ offset: true }),
    finishedAt: z.iso.datetime({ offset: true }),
  }),
);

export const backupFailed = envelopeOf(
  'backup.failed',
  z.object({
    backupId: z.string().min(1),
    failure: failureSchema,
    startedAt: z.iso.datetime({ offset: true }).nullable(),
    finishedAt: z.iso.datetime({ offset: true }),
  }),
);

export const backupCanceled = envelopeOf(
  'backup.canceled',
  z.object({ backupId: z.string().min(1), finishedAt: z.iso.datetime({ offset: true }) }),
);

export type BackupRequested = z.infer<typeof backupRequested>;
export type BackupStarted = z.infer<typeof backupStarted>;
export type BackupProgress = z.infer<typeof backupProgress>;
export type BackupSucceeded = z.infer<typeof backupSucceeded>;
export type BackupFailed = z.infer<typeof backupFailed>;
export type BackupCanceled = z.infer<typeof backupCanceled>;

/** The events the orchestrator sends back to the control plane about a backup. */
export const backupEvent = z.discriminatedUnion('type', [backupStarted, backupProgress, backupSucceeded, backupFailed, backupCanceled]);
export type BackupEvent = z.infer<typeof backupEvent>;
export type BackupEventType = BackupEvent['type'];
