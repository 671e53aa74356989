import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { envelope } from '../contracts/index.js';
import { enqueue } from '../outbox/outbox.js';
import { recordAudit } from './audit.js';
import { inProgressStatuses } from './backup-status.js';
import { restoreInProgress } from './restore-status.js';
import { controlSchema, type ControlTables } from './tables.js';

/**
 * Invariant 3's last line of defence: whatever happened to the orchestrators (all of them down,
 * a command that never arrived), a backup still in progress well past its deadline is failed
 * here with `timeout`, and the orchestrators are told to stop whatever they still run for it.
 * Should its files arrive later anyway, they are deleted (see applyBackupEvent). Restores get
 * the same treatment. Leader-only.
 */
export async function failOverdue(db: Kysely<ControlTables>, options: { deadlineSeconds: number; graceSeconds: number }): Promise<string[]> {
  const cutoff = sql<Date>`now() - make_interval(secs => ${options.deadlineSeconds + options.graceSeconds})`;
  const failed: string[] = [];
  const overdue = await db.selectFrom('backups').select('id').where('status', 'in', inProgressStatuses).where('requested_at', '<', cutoff).execute();
  for (const { id } of overdue) {
    const done = await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('backups')
        .set({
          status: 'failed',
          finished_at: sql<Date>`now()`,
          failure_code: 'timeout',
          failure_message: `no orchestrator finished this backup within its deadline (${options.deadlineSeconds} s); it was given up on`,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', id)
        .where('status', 'in', inProgressStatuses)
        .returning(['id', 'project_id', 'service_id'])
        .executeTakeFirst();
      if (!row) return false;
      await enqueue<ControlTables>(trx, controlSchema, envelope('backup.cancel_requested', { correlationId: row.id, projectId: row.project_id }, { backupId: row.id, serviceId: row.service_id, requestedBy: 'system' }));
      await recordAudit(trx, { projectId: row.project_id, actor: 'system', action: 'backup.failed', target: { kind: 'backup', id: row.id }, details: { failure: { code: 'timeout' } } });
      return true;
    });
    if (done) failed.push(id);
  }
  const overdueRestores = await db
    .updateTable('restores')
    .set({
      status: 'failed',
      finished_at: sql<Date>`now()`,
      failure_code: 'timeout',
      failure_message: 'no orchestrator finished this restore within its deadline; it was given up on',
      updated_at: sql<Date>`now()`,
    })
    .where('status', 'in', restoreInProgress)
    // A restore in place may first wait a whole backup deadline for its safety backup.
    .where('requested_at', '<', sql<Date>`now() - make_interval(secs => ${2 * options.deadlineSeconds + options.graceSeconds})`)
    .returning('id')
    .execute();
  return [...failed, ...overdueRestores.map((row) => row.id)];
}

export class DeadlineSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: { db: Kysely<ControlTables>; logger: Logger; isLeader: () => boolean; deadlineSeconds: number; graceSeconds?: number; intervalMs?: number }) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.options.isLeader()) return;
      this.running = failOverdue(this.options.db, { deadlineSeconds: this.options.deadlineSeconds, graceSeconds: this.options.graceSeconds ?? 60 })
        .then((ids) => {
          if (ids.length > 0) this.options.logger.warn({ ids }, 'gave up on overdue backups and restores');
        })
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'deadline sweep failed; will retry'));
    }, this.options.intervalMs ?? 15_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
