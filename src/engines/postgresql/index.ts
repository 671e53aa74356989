import { engineDescriptors } from '../../contracts/index.js';
import type { Engine } from '../engine.js';
import { askToolVersion } from '../tool-versions.js';
import { askPgDumpVersionAhead, runBackup } from './backup.js';
import { runCheck } from './check.js';
import { runRestore } from './restore.js';
import { runVerify } from './verify.js';

/** PostgreSQL: `pg_dump --format=custom`, restored by `pg_restore` (in place through psql, in one transaction). */
export const postgresql: Engine = {
  name: 'postgresql',
  backup: runBackup,
  restore: runRestore,
  verify: runVerify,
  check: runCheck,
  toolVersions: (env) => Promise.all(engineDescriptors.postgresql.tools.map((tool) => askToolVersion(tool, env))),
  prepare: askPgDumpVersionAhead,
};
