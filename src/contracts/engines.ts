/**
 * The database engines Lifeboat backs up, described once: what the control plane validates and
 * offers, what the dashboard and CLI show, and what the agent's engine (src/engines/<name>/)
 * implements. A third engine is a row here, a folder under src/engines/, one migration line and
 * one row in the engine contract test.
 */
export const engines = ['postgresql', 'mariadb'] as const;
export type Engine = (typeof engines)[number];

/** What an engine's backups can do; the API refuses, and the dashboard and CLI hide, what it cannot. */
export interface EngineCapabilities {
  /** Restore over the service's own database (with a safety backup first). */
  restoreInPlace: boolean;
  /** Restore into a new database on the service's server. */
  restoreNewDatabase: boolean;
  /** Contents (tables with exact row counts, and more) recorded with each backup. */
  contents: boolean;
  /** Restore drills on a verification server. */
  drills: boolean;
  /** A restore can use several connections at once. */
  parallelRestore: boolean;
  /** Says, before an in-place restore, exactly which objects it would drop. */
  restorePlan: boolean;
}

export interface EngineDescriptor {
  name: Engine;
  /** How people call it. */
  label: string;
  /** Other names a registration may give it; the service is stored under `name`. */
  aliases: readonly string[];
  defaultPort: number;
  /** The command-line tools its jobs run, in the order the capabilities route lists them. */
  tools: readonly string[];
  /** The setting that names the server its restore drills use. */
  verificationServerSetting: string;
  capabilities: EngineCapabilities;
}

export const engineDescriptors: Readonly<Record<Engine, EngineDescriptor>> = {
  postgresql: {
    name: 'postgresql',
    label: 'PostgreSQL',
    aliases: [],
    defaultPort: 5432,
    tools: ['pg_dump', 'pg_restore', 'psql'],
    verificationServerSetting: 'LIFEBOAT_VERIFY_DATABASE_URL',
    capabilities: { restoreInPlace: true, restoreNewDatabase: true, contents: true, drills: true, parallelRestore: true, restorePlan: true },
  },
  mariadb: {
    name: 'mariadb',
    label: 'MariaDB / MySQL',
    aliases: ['mysql'],
    defaultPort: 3306,
    tools: ['mariadb-dump', 'mariadb'],
    verificationServerSetting: 'LIFEBOAT_VERIFY_MARIADB_URL',
    capabilities: { restoreInPlace: true, restoreNewDatabase: true, contents: true, drills: true, parallelRestore: false, restorePlan: false },
  },
};

/** Every name a registration may give an engine: the names, then the aliases. */
export const engineSpellings = [...engines, ...engines.flatMap((engine) => engineDescriptors[engine].aliases)] as [string, ...string[]];

/** A tool an engine's jobs run, as found where a process runs. */
export interface ToolFound {
  name: string;
  /** Its version line; null when it is not there or did not answer. */
  version: string | null;
  /** Why not, when version is null. */
  problem?: string;
}

/** The engine a registration names, by its name or an alias, exactly as spelled; undefined for anything else. Pure. */
export function engineNamed(value: unknown): Engine | undefined {
  if (typeof value !== 'string') return undefined;
  return engines.find((engine) => engine === value || engineDescriptors[engine].aliases.includes(value));
}

/** Artifacts are named `backup<extension>`; the extension says the format and the compression. */
const artifactMediaTypes: Readonly<Record<string, string>> = {
  '.dump': 'application/octet-stream',
  '.sql.gz': 'application/gzip',
  '.sql.zst': 'application/zstd',
  '.sql': 'application/sql',
};

/** The extension of an artifact's key (`.dump`, `.sql.zst`), which a download's file name keeps. Pure. */
export function artifactExtension(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.indexOf('.');
  return dot < 0 ? '' : name.slice(dot);
}

/** The media type a download of that artifact is served with. Pure. */
export function artifactMediaType(key: string): string {
  return artifactMediaTypes[artifactExtension(key)] ?? 'application/octet-stream';
}
