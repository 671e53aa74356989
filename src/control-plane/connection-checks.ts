import { type Kysely, type Selectable, sql } from 'kysely';
import { canonicalFailureCode, type CheckEvent, type Connection, type DroppedObjects, type Engine, envelope, type Failure, type FailureCode, type RestorePlanRequest, type ServiceBackupSettings } from '../contracts/index.js';
import { enqueue, receiveOnce, recordOutcome } from '../outbox/outbox.js';
import type { ControlPlane } from './context.js';
import { ApiError } from './errors.js';
import { newId } from './ids.js';
import { controlSchema, type ControlTables } from './tables.js';

export type CheckRow = Selectable<ControlTables['connection_checks']>;

/** What is checked: a saved service, or a registration (or change) not yet saved. */
export interface CheckCandidate {
  projectId: string;
  /** The service's id; for a registration, the id it will be saved under (its password is sealed to it). */
  serviceId: string;
  forRegistration: boolean;
  engine: Engine;
  connection: Connection;
  sealedPassword: string;
  requestedBy: string;
  /** The service's skipUnreadable and excludeTables: a check fails on what its backups would. */
  backupSettings?: ServiceBackupSettings;
  /** Also work out what an in-place restore of this artifact would drop (restore-plans.ts). */
  restorePlan?: RestorePlanRequest;
}

/** The verdict, as `POST /v1/services/:id/test-connection` answers it. */
export interface CheckResult {
  id: string;
  result: 'ok' | 'failed';
  failure: Failure | null;
  serverVersion: string | null;
  toolVersion: string | null;
  warnings: string[];
  /** Asked for a restore plan: what the restore would drop. */
  drops?: DroppedObjects;
  checkedAt: string;
}

/** How long a check may take in its job (connect, pre-flight statements); the API waits less. */
const checkJobDeadlineSeconds = 120;
export const defaultCheckWaitSeconds = 30;

/**
 * Records a check and its `check.requested` command in one transaction (DESIGN.md's flow, steps
 * 2 and 3): the orchestrator runs it as a job, and its verdict comes back as an event.
 */
export async function requestCheck(db: Kysely<ControlTables>, candidate: CheckCandidate): Promise<CheckRow> {
  const checkId = newId('chk');
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('connection_checks')
      .values({
        id: checkId,
        project_id: candidate.projectId,
        service_id: candidate.serviceId,
        for_registration: candidate.forRegistration,
        host: candidate.connection.host,
        port: candidate.connection.port,
        database_name: candidate.connection.database,
        username: candidate.connection.user,
        status: 'requested',
        failure_code: null,
        failure_message: null,
        server_version: null,
        tool_version: null,
        requested_by: candidate.requestedBy,
        finished_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await enqueue<ControlTables>(
      trx,
      controlSchema,
      envelope(
        'check.requested',
        { correlationId: checkId, projectId: candidate.projectId },
        { checkId, serviceId: candidate.serviceId, engine: candidate.engine, connection: candidate.connection, sealedPassword: candidate.sealedPassword, deadlineSeconds: checkJobDeadlineSeconds,
          backupSettings: candidate.backupSettings,
          ...(candidate.restorePlan ? { restorePlan: candidate.restorePlan } : {}),
        },
      ),
    );
    return row;
  });
}

/**
 * Runs a connection check and waits for its verdict, at most the plane's bound
 * (LIFEBOAT_CONNECTION_CHECK_WAIT_SECONDS, 30 s unset). No verdict in time (no orchestrator
 * running, every job slot taken) is `check_timed_out` (504): the check was not made, which is
 * not the same as a connection that failed.
 */
export async function checkConnection(plane: ControlPlane, candidate: CheckCandidate, gone?: AbortSignal): Promise<CheckResult> {
  const requested = await requestCheck(plane.db, candidate);
  const seconds = plane.settings.connectionCheckWaitSeconds ?? defaultCheckWaitSeconds;
  const read = () => plane.db.selectFrom('connection_checks').selectAll().where('id', '=', requested.id).executeTakeFirstOrThrow();
  const row = await plane.changes.readUntil(requested.id, seconds, read, (check) => check.status !== 'requested', gone);
  const result = checkResultOf(row);
  if (!result) {
    throw new ApiError('check_timed_out', `the connection check ${row.id} got no answer within ${seconds} s (is an orchestrator running, and a job slot free?); try again, or register with ?skipCheck=true to check later`);
  }
  return result;
}

/**
 * The hook for anything that saves a connection (registration, a change of connection): checks
 * it and throws the failure as the API error (422 with the failure's code) when it does not pass.
 */
export async function checkBeforeSaving(plane: ControlPlane, candidate: CheckCandidate, gone?: AbortSignal): Promise<CheckResult> {
  const result = await checkConnection(plane, candidate, gone);
  if (result.failure) throw checkFailedError(result.failure);
  return result;
}

export function checkFailedError(failure: Failure): ApiError {
  return new ApiError(failure.code, `the connection check failed: ${failure.message}`);
}

/** The verdict of a finished check; undefined while it has none. Pure. */
export function checkResultOf(row: CheckRow): CheckResult | undefined {
  if (row.status === 'requested' || !row.finished_at) return undefined;
  const failure = row.status === 'failed' ? { code: canonicalFailureCode(row.failure_code ?? 'job_lost') as FailureCode, message: row.failure_message ?? 'the check failed' } : null;
  return {
    id: row.id,
    result: failure ? 'failed' : 'ok',
    failure,
    serverVersion: row.server_version,
    toolVersion: row.tool_version,
    warnings: row.warnings,
    ...(row.drops ? { drops: row.drops } : {}),
    checkedAt: row.finished_at.toISOString(),
  };
}

/** Records a check's verdict, once; a late or repeated one changes nothing. */
export async function applyCheckEvent(db: Kysely<ControlTables>, event: CheckEvent): Promise<string> {
  return db.transaction().execute(async (trx) => {
    if (!(await receiveOnce<ControlTables>(trx, event, 'received'))) return 'duplicate';
    const change =
      event.type === 'check.succeeded'
        ? {
            status: 'succeeded' as const,
            server_version: event.payload.serverVersion,
            tool_version: event.payload.toolVersion,
            warnings: JSON.stringify(event.payload.warnings),
            ...(event.payload.drops ? { drops: JSON.stringify(event.payload.drops) } : {}),
          }
        : { status: 'failed' as const, failure_code: event.payload.failure.code, failure_message: event.payload.failure.message };
    const updated = await trx
      .updateTable('connection_checks')
      .set({ ...change, finished_at: sql<Date>`${event.payload.checkedAt}::timestamptz` })
      .where('id', '=', event.payload.checkId)
      .where('status', '=', 'requested')
      .returning('id')
      .executeTakeFirst();
    const outcome = updated ? `applied: ${change.status}` : 'ignored: no such check, or it already has a verdict';
    await recordOutcome<ControlTables>(trx, event.id, outcome);
    return outcome;
  });
}
