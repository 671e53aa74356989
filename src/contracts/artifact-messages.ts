import { z } from 'zod';
import { envelopeOf } from './envelope.js';

/**
 * Removing a backup's files: the control plane decides (retention expired it, or a user
 * deleted it) and the orchestrator, which owns storage, does it and confirms.
 */
export const artifactDeleteRequested = envelopeOf(
  'artifact.delete_requested',
  z.object({
    backupId: z.string().min(1),
    serviceId: z.string().min(1),
    reason: z.enum(['expired', 'deleted']),
  }),
);

export const artifactDeleted = envelopeOf(
  'artifact.deleted',
  z.object({ backupId: z.string().min(1), objectsDeleted: z.number().int().nonnegative(), deletedAt: z.iso.datetime({ offset: true }) }),
);

/** Stops a backup that has not finished; the orchestrator answers with backup.canceled (or its real outcome if it was too late). */
export const backupCancelRequested = envelopeOf(
  'backup.cancel_requested',
  z.object({ backupId: z.string().min(1), serviceId: z.string().min(1), requestedBy: z.string().min(1) }),
);

export type ArtifactDeleteRequested = z.infer<typeof artifactDeleteRequested>;
export type ArtifactDeleted = z.infer<typeof artifactDeleted>;
export type BackupCancelRequested = z.infer<typeof backupCancelRequested>;
