import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { KillSwitchChanged } from '../contracts/index.js';
import type { KillSwitchReading } from './intake.js';
import type { OrchestratorTables } from './tables.js';

const stored = z.object({ engaged: z.boolean(), reason: z.string().nullable(), changedAt: z.string() });

/**
 * The orchestrators' copy of the operator's kill switch, from `kill_switch.changed`. Changes can
 * arrive out of order (at-least-once, several relays): an older one never overwrites a newer.
 */
export async function recordKillSwitch(db: Kysely<OrchestratorTables>, change: KillSwitchChanged): Promise<void> {
  const value = JSON.stringify({ engaged: change.payload.engaged, reason: change.payload.reason, changedAt: change.payload.changedAt });
  await db
    .insertInto('settings')
    .values({ key: 'kill_switch', value })
    .onConflict((conflict) =>
      conflict
        .column('key')
        .doUpdateSet({ value, updated_at: sql<Date>`now()` })
        .where(sql<boolean>`(settings.value->>'changedAt')::timestamptz < ${change.payload.changedAt}::timestamptz`),
    )
    .execute();
}

/** Engaged if configuration says so, or the operator's last change did. */
export async function readKillSwitch(db: Kysely<OrchestratorTables>, engagedByConfiguration: boolean): Promise<KillSwitchReading> {
  if (engagedByConfiguration) return { engaged: true, reason: 'engaged by configuration (LIFEBOAT_KILL_SWITCH=1)' };
  const row = await db.selectFrom('settings').select('value').where('key', '=', 'kill_switch').executeTakeFirst();
  const parsed = stored.safeParse(row?.value);
  return parsed.success ? { engaged: parsed.data.engaged, reason: parsed.data.reason } : { engaged: false, reason: null };
}
