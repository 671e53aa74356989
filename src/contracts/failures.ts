import { z } from 'zod';

/**
 * Why a backup (or, later, a restore) failed. A closed set: the dashboard, the CLI and webhooks
 * branch on these codes, so adding one is a contract change.
 */
export const failureCodes = [
  'auth_failed',
  'connection_refused',
  'connection_timeout',
  'host_not_found',
  'database_not_found',
  'permission_denied',
  'connection_lost',
  'dump_tool_not_found',
  'dump_tool_version_mismatch',
  'dump_failed',
  'non_transactional_tables',
  'storage_unavailable',
  'artifact_verification_failed',
  'timeout',
  'feature_disabled',
  'job_lost',
  'agent_crashed',
  'invalid_command',
  'checksum_mismatch',
  'artifact_missing',
  'target_exists',
  'restore_failed',
  'safety_backup_failed',
  'target_not_allowed',
  'target_mismatch',
  'lock_timeout',
] as const;

export type FailureCode = (typeof failureCodes)[number];

/**
 * The codes stored before engines became a port (#18) named PostgreSQL's tool. Records and
 * messages that still carry them read as the engine-neutral code (see decisions.md).
 */
export const failureCodeAliases: Readonly<Record<string, FailureCode>> = {
  pg_dump_not_found: 'dump_tool_not_found',
  pg_dump_version_mismatch: 'dump_tool_version_mismatch',
  pg_dump_failed: 'dump_failed',
};

/** The code a stored record means: an old alias becomes its engine-neutral code; anything else is returned as it is. Pure. */
export function canonicalFailureCode(code: string): string {
  return failureCodeAliases[code] ?? code;
}

export const failureSchema = z.object({
  code: z.preprocess((code) => (typeof code === 'string' ? canonicalFailureCode(code) : code), z.enum(failureCodes)),
  message: z.string().min(1).max(2000),
});

export type Failure = z.infer<typeof failureSchema>;
