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
    /** `abandoned`: the backup was given up on (its deadline passed) and its files came late. */
    reason: z.enum(['expired', 'deleted', 'abandoned']),
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

/** The operator engaged or released the kill switch: orchestrators stop (or resume) launching jobs. */
export const killSwitchChanged = envelopeOf(
  'kill_switch.changed',
  z.object({ engaged: z.boolean(), reason: z.string().nullable(), changedBy: z.string().min(1), changedAt: z.iso.datetime({ offset: true }) }),
);

export type KillSwitchChanged = z.infer<typeof killSwitchChanged>;
export type ArtifactDeleteRequested = z.infer<typeof artifactDeleteRequested>;
export type ArtifactDeleted = z.infer<typeof artifactDeleted>;
export type BackupCancelRequested = z.infer<typeof backupCancelRequested>;
