import { type Engine as EngineName, engines, type ToolFound } from '../contracts/index.js';
import { openEngine } from './open-engine.js';

const freshForMs = 60_000;

/**
 * Every engine's tools as found on `env`'s PATH, asked at most once a minute: the capabilities
 * route is read by every dashboard load, and `--version` costs tens of milliseconds per tool.
 */
export function toolVersionsOn(env: Readonly<Record<string, string | undefined>>): () => Promise<Partial<Record<EngineName, ToolFound[]>>> {
  let asked: { at: number; answer: Promise<Partial<Record<EngineName, ToolFound[]>>> } | undefined;
  return () => {
    if (!asked || Date.now() - asked.at > freshForMs) {
      asked = {
        at: Date.now(),
        answer: Promise.all(
          engines.map(async (name) => {
            const engine = await openEngine(name);
            return [name, engine ? await engine.toolVersions(env) : []] as const;
          }),
        ).then((pairs) => Object.fromEntries(pairs)),
      };
    }
    return asked.answer;
  };
}
