import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { envelope } from '../contracts/index.js';
import { enqueue } from '../outbox/outbox.js';
import { recordAudit } from './audit.js';
import { applyRetention, expiryByAge, type RetainedBackup, type RetentionDecision, type RetentionPolicy } from './retention.js';
import { retentionOf } from './schedules.js';
import { controlSchema, type ControlTables } from './tables.js';

async function succeededBackups(db: Kysely<ControlTables>, serviceId: string): Promise<RetainedBackup[]> {
  const rows = await db
    .selectFrom('backups')
    .select(['id', 'finished_at', 'trigger'])
    .where('service_id', '=', serviceId)
    .where('status', '=', 'succeeded')
    .execute();
  return rows.map((row) => ({ id: row.id, trigger: row.trigger, finishedAt: row.finished_at ?? new Date(0) }));
}

async function policyOf(db: Kysely<ControlTables>, serviceId: string): Promise<{ policy: RetentionPolicy; timeZone: string } | undefined> {
  const schedule = await db.selectFrom('schedules').select(['retention', 'timezone']).where('service_id', '=', serviceId).executeTakeFirst();
  return schedule ? { policy: retentionOf(schedule), timeZone: schedule.timezone } : undefined;
}

/** What the service's policy keeps and would expire now. Without a policy, everything is kept. */
export async function previewRetention(db: Kysely<ControlTables>, serviceId: string, now: Date) {
  const decision = await decide(db, serviceId, now);
  return {
    keep: [...decision.keep].map(([backupId, reasons]) => ({ backupId, reasons })),
    expire: decision.expire.map(({ id, reason }) => ({ backupId: id, reason })),
  };
}

async function decide(db: Kysely<ControlTables>, serviceId: string, now: Date): Promise<RetentionDecision> {
  const backups = await succeededBackups(db, serviceId);
  const policy = await policyOf(db, serviceId);
  if (!policy) return { keep: new Map(backups.map((backup) => [backup.id, ['no retention policy']])), expire: [] };
  return applyRetention(backups, policy.policy, policy.timeZone, now);
}

/**
 * Expires what the policy lets go: each backup moves to `expired`, and its artifact deletion is
 * requested from the orchestrator, in one transaction. Returns the ids expired.
 */
export async function expireBackups(db: Kysely<ControlTables>, serviceId: string, now: Date): Promise<string[]> {
  const { expire } = await decide(db, serviceId, now);
  const expired: string[] = [];
  for (const { id, reason } of expire) {
    const done = await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('backups')
        .set({ status: 'expired', updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('status', '=', 'succeeded')
        .returning(['id', 'project_id', 'service_id'])
        .executeTakeFirst();
      if (!row) return false;
      await enqueue<ControlTables>(
        trx,
        controlSchema,
        envelope('artifact.delete_requested', { correlationId: row.id, projectId: row.project_id }, { backupId: row.id, serviceId: row.service_id, reason: 'expired' as const }),
      );
      await recordAudit(trx, { projectId: row.project_id, actor: 'system', action: 'backup.expired', target: { kind: 'backup', id: row.id }, details: { reason } });
      return true;
    });
    if (done) expired.push(id);
  }
  return expired;
}

/** Recomputes `expires_at` of a service's succeeded backups from its policy (after a policy change or a success). */
export async function refreshExpiryDates(db: Kysely<ControlTables>, serviceId: string): Promise<void> {
  const policy = (await policyOf(db, serviceId))?.policy ?? {};
  for (const backup of await succeededBackups(db, serviceId)) {
    await db.updateTable('backups').set({ expires_at: expiryByAge(backup, policy) }).where('id', '=', backup.id).execute();
  }
}

/** Runs the retention policy of every scheduled service, leader-only, every few minutes. */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly options: { db: Kysely<ControlTables>; logger: Logger; isLeader: () => boolean; intervalMs?: number; now?: () => Date },
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

  /** One pass over every service with a schedule; returns how many backups expired. */
  async sweep(): Promise<number> {
    if (!this.options.isLeader()) return 0;
    const now = (this.options.now ?? (() => new Date()))();
    const services = await this.options.db.selectFrom('schedules').select('service_id').execute();
    let expired = 0;
    for (const { service_id } of services) expired += (await expireBackups(this.options.db, service_id, now)).length;
    return expired;
  }
}
