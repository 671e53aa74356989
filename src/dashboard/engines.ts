import type { Capabilities, EngineCapabilities } from './types.js';

/** What the dashboard knows of a service's engine: the name to show, and what it may offer. */
export interface EngineView {
  label: string;
  capabilities: EngineCapabilities;
  /** Whether its verification server is configured, and the setting naming it; null when the engine is unknown. */
  drills: { configured: boolean; setting: string } | null;
  defaultPort: number | null;
}

const nothing: EngineCapabilities = { restoreInPlace: false, restoreNewDatabase: false, contents: false, drills: false, parallelRestore: false, restorePlan: false };

/**
 * The engine of `engine` as the capabilities answer describes it. An engine this Lifeboat does
 * not list (a newer API, an old answer) shows its raw name and offers nothing, rather than
 * offering actions the API would refuse. Every action the dashboard gates reads these flags:
 * there is no branching on engine names here or anywhere in the dashboard.
 */
export function engineOf(capabilities: Pick<Capabilities, 'engines'>, engine: string): EngineView {
  const found = (capabilities.engines ?? []).find((candidate) => candidate.name === engine);
  if (!found) return { label: engine, capabilities: nothing, drills: null, defaultPort: null };
  return { label: found.label, capabilities: found.capabilities, drills: found.drills, defaultPort: found.defaultPort };
}

/** The port a registration gets when its field is left empty: the engine's own. null: not a port. */
export function portToSend(typed: string, defaultPort: number | null): number | undefined | null {
  const trimmed = typed.trim();
  if (trimmed === '') return defaultPort ?? undefined;
  return /^[0-9]{1,5}$/.test(trimmed) && Number(trimmed) >= 1 && Number(trimmed) <= 65535 ? Number(trimmed) : null;
}

/** Why restore drills of this engine cannot run here, or null when they can. */
export function drillsRefusal(view: EngineView): string | null {
  if (view.capabilities.drills) return null;
  if (view.drills && !view.drills.configured) return `Restore drills of ${view.label} services need a verification server: set ${view.drills.setting}.`;
  return `Restore drills are not available for ${view.label} services.`;
}

/** What an in-place restore does when the API cannot tell beforehand what it would drop. */
export const wholeDatabaseReplaced = 'Replaces the whole database with the backup: tables, views and routines not in the backup are removed.';
