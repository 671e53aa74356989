import type { Engine as EngineName } from '../contracts/index.js';
import type { Engine } from './engine.js';

/**
 * The engine a job names, loaded on first use: an agent running a PostgreSQL backup never loads
 * the MariaDB client, and the other way round.
 */
const implementations: Partial<Record<EngineName, () => Promise<Engine>>> = {
  postgresql: async () => (await import('./postgresql/index.js')).postgresql,
};

/** Undefined when this build of the agent has no implementation of that engine (an agent older than its control plane). */
export async function openEngine(name: EngineName): Promise<Engine | undefined> {
  return implementations[name]?.();
}
