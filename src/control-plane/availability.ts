import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { ControlTables } from './tables.js';

/**
 * Whether the backup path is on (invariant 6). Off when storage is not configured or the kill
 * switch is engaged, from configuration or by an operator; the API then refuses new backups and
 * says why.
 */
export interface KillSwitchState {
  engaged: boolean;
  reason: string | null;
  /** `configuration` when LIFEBOAT_KILL_SWITCH=1 holds it engaged: an operator cannot release that from the API. */
  source: 'configuration' | 'operator' | null;
  changedBy: string | null;
  changedAt: string | null;
}

export interface Availability {
  available: boolean;
  reason: string | null;
}

export function backupAvailability(input: { storageConfigured: boolean; killSwitch: KillSwitchState }): Availability {
  if (input.killSwitch.engaged) {
    return { available: false, reason: `the kill switch is engaged: ${input.killSwitch.reason ?? 'no reason given'}` };
  }
  if (!input.storageConfigured) {
    return { available: false, reason: 'object storage is not configured (set LIFEBOAT_STORAGE_URL)' };
  }
  return { available: true, reason: null };
}

// Lenient but for `engaged`, so this and killSwitchEngagedIn agree on every stored value.
const storedKillSwitch = z.object({ engaged: z.boolean(), reason: z.string().nullable().catch(null), changedBy: z.string().catch('unknown'), changedAt: z.string().catch('unknown') });

export async function readKillSwitch(db: Kysely<ControlTables>, engagedByConfiguration: boolean): Promise<KillSwitchState> {
  if (engagedByConfiguration) return killSwitchFrom(undefined, true);
  const row = await db.selectFrom('settings').select('value').where('key', '=', 'kill_switch').executeTakeFirst();
  return killSwitchFrom(row?.value, false);
}

/**
 * The same rule as killSwitchFrom, in SQL, for statements that must decide inside the database
 * (requestBackup): the stored setting is engaged exactly when its `engaged` is true.
 */
export function killSwitchEngagedIn(storedColumn: string): string {
  return `coalesce(${storedColumn} -> 'engaged', 'false'::jsonb) = 'true'::jsonb`;
}

/** The kill switch from its stored setting (the `kill_switch` row's value, if any) and the configuration. */
export function killSwitchFrom(stored: unknown, engagedByConfiguration: boolean): KillSwitchState {
  if (engagedByConfiguration) {
    return { engaged: true, reason: 'engaged by configuration (LIFEBOAT_KILL_SWITCH=1)', source: 'configuration', changedBy: null, changedAt: null };
  }
  const parsed = storedKillSwitch.safeParse(stored);
  if (!parsed.success) return { engaged: false, reason: null, source: null, changedBy: null, changedAt: null };
  return { ...parsed.data, source: 'operator' };
}

export async function writeKillSwitch(db: Kysely<ControlTables>, change: { engaged: boolean; reason: string | null; actor: string }): Promise<void> {
  const value = JSON.stringify({ engaged: change.engaged, reason: change.reason, changedBy: change.actor, changedAt: new Date().toISOString() });
  await db
    .insertInto('settings')
    .values({ key: 'kill_switch', value })
    .onConflict((conflict) => conflict.column('key').doUpdateSet({ value, updated_at: sql<Date>`now()` }))
    .execute();
}
