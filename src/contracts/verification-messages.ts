import { z } from 'zod';
import { connectionSchema } from './backup-messages.js';
import { engines } from './engines.js';
import { envelopeOf } from './envelope.js';
import { failureSchema } from './failures.js';

/**
 * Restore drills: a succeeded backup is restored into a scratch database on a verification
 * server, every table's row count is compared with the counts recorded at backup time, and the
 * scratch database is dropped. The outcome is recorded on the backup.
 */
export const verification = z.object({
  status: z.enum(['passed', 'failed']),
  checkedAt: z.iso.datetime({ offset: true }),
  details: z.object({
    tables: z.array(z.object({ schema: z.string(), name: z.string(), expected: z.number().int().nullable(), actual: z.number().int().nullable() })),
    problems: z.array(z.string()),
  }),
});
export type Verification = z.infer<typeof verification>;

const storedArtifact = z.object({ key: z.string().min(1), manifestKey: z.string().min(1), sizeBytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

export const verifyRequested = envelopeOf(
  'backup.verify_requested',
  z.object({
    verificationId: z.string().min(1),
    backupId: z.string().min(1),
    serviceId: z.string().min(1),
    /** Commands recorded before MariaDB came name no engine: they were PostgreSQL's. */
    engine: z.enum(engines).default('postgresql'),
    artifact: storedArtifact,
    deadlineSeconds: z.number().int().positive(),
  }),
);

export const backupVerified = envelopeOf('backup.verified', z.object({ verificationId: z.string().min(1), backupId: z.string().min(1), verification }));

export type VerifyRequested = z.infer<typeof verifyRequested>;
export type BackupVerified = z.infer<typeof backupVerified>;

/** What the orchestrator tells `lifeboat agent verify`; the verification server's password arrives as LIFEBOAT_DATABASE_PASSWORD. */
export const verifyJobSpec = z.object({
  kind: z.literal('verify'),
  jobId: z.string().min(1),
  verificationId: z.string().min(1),
  engine: z.enum(engines).default('postgresql'),
  artifact: storedArtifact,
  /** A server where scratch databases may be created and dropped. */
  scratch: connectionSchema,
});
export type VerifyJobSpec = z.infer<typeof verifyJobSpec>;

export const verifyReport = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('succeeded'), verification }),
  z.object({ outcome: z.literal('failed'), failure: failureSchema }),
  z.object({ outcome: z.literal('canceled') }),
]);
export type VerifyReport = z.infer<typeof verifyReport>;
