import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { envelope } from '../contracts/index.js';
import { enqueue } from '../outbox/outbox.js';
import { recordAudit } from './audit.js';
import { applyRetention, expiryDates, type RetainedBackup, type RetentionDecision, type RetentionPolicy } from './retention.js';
import { retentionOf } from './schedules.js';
import { controlSchema, type ControlTables } from './tables.js';

/** Services whose backups one sweep query reads, unless the sweeper is told otherwise. */
const defaultServicesPerPage = 500;
/** Bounds a transaction (and its IN list) when a policy change expires much at once. */
const expiriesPerTransaction = 500;

/** The succeeded backups of each of `serviceIds`, read in one query. */
async function succeededBackupsOf(db: Kysely<ControlTables>, serviceIds: readonly string[]): Promise<Map<string, RetainedBackup[]>> {
  const rows = await db
    .selectFrom('backups')
    .select(['id', 'service_id', 'finished_at', 'trigger'])
    .where('service_id', 'in', serviceIds)
    .where('status', '=', 'succeeded')
    .execute();
  const byService = new Map<string, RetainedBackup[]>(serviceIds.map((id) => [id, []]));
  for (const row of rows) byService.get(row.service_id)?.push({ id: row.id, trigger: row.trigger, finishedAt: row.finished_at ?? new Date(0) });
  return byService;
}

async function succeededBackups(db: Kysely<ControlTables>, serviceId: string): Promise<RetainedBackup[]> {
  return (await succeededBackupsOf(db, [serviceId])).get(serviceId) ?? [];
}

async function policyOf(db: Kysely<ControlTables>, serviceId: string): Promise<{ policy: RetentionPolicy; timeZone: string } | undefined> {
  const schedule = await db.selectFrom('schedules').select(['retention', 'timezone']).where('service_id', '=', serviceId).executeTakeFirst();
  return schedule ? { policy: retentionOf(schedule), timeZone: schedule.timezone } : undefined;
}

/** What the service's policy keeps and would expire now, each with the `expiresAt` its backup shows. Without a policy, everything is kept. */
export async function previewRetention(db: Kysely<ControlTables>, serviceId: string, now: Date) {
  const backups = await succeededBackups(db, serviceId);
  const policy = await policyOf(db, serviceId);
  const decision = decide(backups, policy, now);
  const dates = expiryDates(backups, policy?.policy, policy?.timeZone ?? 'UTC', now);
  const iso = (id: string) => dates.get(id)?.toISOString() ?? null;
  return {
    keep: [...decision.keep].map(([backupId, reasons]) => ({ backupId, reasons, expiresAt: iso(backupId) })),
    expire: decision.expire.map(({ id, reason }) => ({ backupId: id, reason, expiresAt: iso(id) ?? now.toISOString() })),
  };
}

function decide(backups: RetainedBackup[], policy: { policy: RetentionPolicy; timeZone: string } | undefined, now: Date): RetentionDecision {
  if (!policy) return { keep: new Map(backups.map((backup) => [backup.id, ['no retention policy']])), expire: [] };
  return applyRetention(backups, policy.policy, policy.timeZone, now);
}

/**
 * Expires what the policy let go: each backup moves to `expired`, and its artifact deletion is
 * requested from the orchestrator, in the same transaction (invariant 1). A backup that is no
 * longer `succeeded` (deleted meanwhile) is left alone. Returns the ids expired.
 */
async function expire(db: Kysely<ControlTables>, expiring: readonly { id: string; reason: string }[]): Promise<string[]> {
  const reasons = new Map(expiring.map(({ id, reason }) => [id, reason]));
  const expired: string[] = [];
  for (let start = 0; start < expiring.length; start += expiriesPerTransaction) {
    const ids = expiring.slice(start, start + expiriesPerTransaction).map(({ id }) => id);
    await db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('backups')
        .set({ status: 'expired', updated_at: sql<Date>`now()` })
        .where('id', 'in', ids)
        .where('status', '=', 'succeeded')
        .returning(['id', 'project_id', 'service_id'])
        .execute();
      for (const row of rows) {
        await enqueue<ControlTables>(
          trx,
          controlSchema,
          envelope('artifact.delete_requested', { correlationId: row.id, projectId: row.project_id }, { backupId: row.id, serviceId: row.service_id, reason: 'expired' as const }),
        );
        await recordAudit(trx, { projectId: row.project_id, actor: 'system', action: 'backup.expired', target: { kind: 'backup', id: row.id }, details: { reason: reasons.get(row.id) } });
      }
      expired.push(...rows.map((row) => row.id));
    });
  }
  return expired;
}

/**
 * Recomputes `expires_at` of a service's succeeded backups by the decision the preview shows
 * (after a policy change, a success or a deletion: each can change what count rules keep).
 * Writes only the rows whose date changed.
 */
export async function refreshExpiryDates(db: Kysely<ControlTables>, serviceId: string, now = new Date()): Promise<void> {
  const rows = await db.selectFrom('backups').select(['id', 'finished_at', 'trigger', 'expires_at']).where('service_id', '=', serviceId).where('status', '=', 'succeeded').execute();
  const policy = await policyOf(db, serviceId);
  const dates = expiryDates(
    rows.map((row) => ({ id: row.id, trigger: row.trigger, finishedAt: row.finished_at ?? new Date(0) })),
    policy?.policy,
    policy?.timeZone ?? 'UTC',
    now,
  );
  for (const row of rows) {
    const date = dates.get(row.id) ?? null;
    if ((date?.getTime() ?? null) === (row.expires_at?.getTime() ?? null)) continue;
    await db.updateTable('backups').set({ expires_at: date }).where('id', '=', row.id).execute();
  }
}

/** Runs the retention policy of every scheduled service, leader-only, every few minutes. */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly options: { db: Kysely<ControlTables>; logger: Logger; isLeader: () => boolean; intervalMs?: number; now?: () => Date; servicesPerPage?: number },
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.sweep()
        .then((expired) => {
          if (expired > 0) this.options.logger.info({ expired }, 'retention expired backups');
        })
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'retention sweep failed; will retry'));
    };
    this.timer = setInterval(tick, this.options.intervalMs ?? 5 * 60_000);
    tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * One pass over every service with a schedule; returns how many backups expired. Services are
   * read a page at a time (their policies, then all their succeeded backups in one query), so a
   * sweep over a million records costs a few dozen reads, not two per service.
   */
  async sweep(): Promise<number> {
    if (!this.options.isLeader()) return 0;
    const now = (this.options.now ?? (() => new Date()))();
    const servicesPerPage = this.options.servicesPerPage ?? defaultServicesPerPage;
    let expired = 0;
    let after: string | undefined;
    for (;;) {
      let page = this.options.db.selectFrom('schedules').select(['service_id', 'retention', 'timezone']).orderBy('service_id').limit(servicesPerPage);
      if (after !== undefined) page = page.where('service_id', '>', after);
      const schedules = await page.execute();
      // Nothing (left) to sweep; an empty IN list is not SQL.
      if (schedules.length === 0) return expired;
      const backups = await succeededBackupsOf(this.options.db, schedules.map((schedule) => schedule.service_id));
      const expiring = schedules.flatMap((schedule) => applyRetention(backups.get(schedule.service_id) ?? [], retentionOf(schedule), schedule.timezone, now).expire);
      expired += (await expire(this.options.db, expiring)).length;
      if (schedules.length < servicesPerPage) return expired;
      after = schedules.at(-1)!.service_id;
    }
  }
}
