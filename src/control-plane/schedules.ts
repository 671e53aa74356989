import { type Kysely, type Selectable, sql } from 'kysely';
import { ApiError, apiErrors } from './errors.js';
import { type RetentionPolicy, retentionPolicy } from './retention.js';
import { checkSchedule, jitterSeconds, scheduleProblemText, nextFireAfter, upcomingFires } from './schedule-times.js';
import type { ServiceRow } from './services.js';
import type { ControlTables } from './tables.js';

export type ScheduleRow = Selectable<ControlTables['schedules']>;

export interface ScheduleInput {
  cron: string;
  timezone: string;
  retention: RetentionPolicy;
  verify?: boolean;
}

/** The operator's rules for schedules: how runs are spread after their slot, and how close together they may be. */
export interface ScheduleRules {
  jitterWindowSeconds: number;
  minIntervalSeconds: number;
}

/** Creates or replaces a service's schedule; its next run is computed from `now`, never from the past. */
export async function putSchedule(db: Kysely<ControlTables>, service: ServiceRow, input: ScheduleInput, rules: ScheduleRules, now: Date): Promise<ScheduleRow> {
  const problem = checkSchedule(input.cron, input.timezone, rules.minIntervalSeconds);
  if (problem) throw new ApiError('invalid_request', scheduleProblemText(problem, input.cron));
  const nextRunAt = nextFireAfter(input.cron, input.timezone, now, jitterSeconds(service.id, rules.jitterWindowSeconds));
  const values = { cron: input.cron, timezone: input.timezone, retention: JSON.stringify(input.retention), verify: input.verify ?? false, next_run_at: nextRunAt };
  return db
    .insertInto('schedules')
    .values({ service_id: service.id, project_id: service.project_id, last_run_at: null, ...values })
    .onConflict((conflict) => conflict.column('service_id').doUpdateSet({ ...values, updated_at: sql<Date>`now()` }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Whether PUT would accept `cron` in `timezone`, and when it would run: the dashboard checks as the user types. */
export function checkScheduleInput(serviceId: string, input: { cron: string; timezone: string }, rules: ScheduleRules, now: Date) {
  const problem = checkSchedule(input.cron, input.timezone, rules.minIntervalSeconds);
  if (problem) return { problem: { field: problem.field, message: scheduleProblemText(problem, input.cron) }, upcoming: [] };
  const offset = jitterSeconds(serviceId, rules.jitterWindowSeconds);
  return { problem: null, upcoming: upcomingFires(input.cron, input.timezone, now, offset, 5).map((date) => date.toISOString()) };
}

export async function findSchedule(db: Kysely<ControlTables>, serviceId: string): Promise<ScheduleRow> {
  const row = await db.selectFrom('schedules').selectAll().where('service_id', '=', serviceId).executeTakeFirst();
  if (!row) throw apiErrors.notFound('schedule for service', serviceId);
  return row;
}

export async function deleteSchedule(db: Kysely<ControlTables>, serviceId: string): Promise<void> {
  await db.deleteFrom('schedules').where('service_id', '=', serviceId).execute();
}

export function retentionOf(row: Pick<ScheduleRow, 'retention'> | undefined): RetentionPolicy {
  const parsed = retentionPolicy.safeParse(row?.retention ?? {});
  return parsed.success ? parsed.data : {};
}

export function scheduleView(row: ScheduleRow, jitterWindowSeconds: number, now: Date) {
  const offset = jitterSeconds(row.service_id, jitterWindowSeconds);
  return {
    serviceId: row.service_id,
    cron: row.cron,
    timezone: row.timezone,
    retention: retentionOf(row),
    verify: row.verify,
    nextRunAt: row.next_run_at?.toISOString() ?? null,
    lastRunAt: row.last_run_at?.toISOString() ?? null,
    upcoming: upcomingFires(row.cron, row.timezone, now, offset, 5).map((date) => date.toISOString()),
  };
}
