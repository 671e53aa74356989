import type { FailureCode } from '../contracts/failures.js';

/**
 * The API's error codes and the HTTP status each one is rendered with: one table, read by the
 * one error handler (http/error-handler.ts). Clients branch on `code`; `message` is for people.
 */
const statusByCode = {
  invalid_request: 400,
  unsupported_engine: 400,
  target_not_allowed: 400,
  unauthorized: 401,
  forbidden: 403,
  download_link_invalid: 403,
  download_link_expired: 403,
  not_found: 404,
  backup_in_progress: 409,
  backup_not_downloadable: 409,
  backup_not_cancelable: 409,
  backup_not_deletable: 409,
  backup_not_restorable: 409,
  restore_in_progress: 409,
  not_supported_by_engine: 409,
  service_name_taken: 409,
  service_blocked: 409,
  service_archived: 409,
  payload_too_large: 413,
  range_not_satisfiable: 416,
  rate_limited: 429,
  too_many_streams: 429,
  internal_error: 500,
  backups_unavailable: 503,
  verification_unavailable: 503,
  not_ready: 503,
  check_timed_out: 504,
} as const;

/**
 * A failed connection check answers with the failure's own code (`auth_failed`,
 * `permission_denied`, …: the codes a backup fails with), as 422 unless the code is one of the
 * API's own above (`target_not_allowed`).
 */
export type ApiErrorCode = keyof typeof statusByCode | FailureCode;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return this.code in statusByCode ? statusByCode[this.code as keyof typeof statusByCode] : 422;
  }
}

export const apiErrors = {
  invalidRequest: (message: string) => new ApiError('invalid_request', message),
  unauthorized: () => new ApiError('unauthorized', 'missing, unknown, revoked or expired token: send `Authorization: Bearer <token>` with a current token'),
  /** Failed authentications from one client address; the caller sets `Retry-After`. */
  rateLimited: (retryAfterSeconds: number) =>
    new ApiError('rate_limited', `too many failed authentications from this address; try again in ${retryAfterSeconds} s with a valid token`),
  forbidden: (needed: string) => new ApiError('forbidden', `this token's role cannot do this; it needs ${needed}`),
  registrationByOperator: () =>
    new ApiError(
      'forbidden',
      "the operator registers services here (LIFEBOAT_SERVICE_REGISTRATION=admin): ask your platform's catalog or operator to add or change this service's connection",
    ),
  /** Also answers for other projects' objects, so a token cannot probe what exists elsewhere. */
  notFound: (what: string, id: string) => new ApiError('not_found', `no ${what} ${id}`),
  backupInProgress: (serviceName: string, backupId: string) =>
    new ApiError('backup_in_progress', `service ${serviceName} already has a backup in progress (${backupId}); wait for it to finish`),
  /** An archived service keeps its backups readable and restorable elsewhere; nothing new starts on it. */
  serviceArchived: (serviceName: string, doing: string) =>
    new ApiError('service_archived', `service ${serviceName} is archived: it cannot ${doing}; its backups can still be downloaded or restored into a new database or another service`),
  backupsUnavailable: (reason: string) => new ApiError('backups_unavailable', `backups are unavailable: ${reason}`),
} as const;
