import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { pgliteDirectoryIn } from '../../src/db/platform-database.js';
import { adminQuery, postgresUrl } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An initialised, empty PGlite data directory for tests to copy (see seedPlatformDatabase). */
    pgliteTemplate: string;
  }
}

/**
 * Runs once before the suite: the tests need the built CLI (agents run as child processes) and
 * the machine's PostgreSQL, and get one PGlite data directory made while the machine is still
 * idle, instead of one per test worker made under the load of the others.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(resolve(import.meta.dirname, '../../dist/cli/main.js'))) {
    throw new Error('dist/ is missing: run `npm test` (it builds first) or `npm run build`');
  }
  try {
    await adminQuery('SELECT 1');
  } catch (error) {
    throw new Error(`the tests need PostgreSQL at ${postgresUrl('postgres')}; .ci/run starts it`, { cause: error });
  }
  const parent = await mkdtemp(join(tmpdir(), 'lifeboat-pglite-template-'));
  const template = pgliteDirectoryIn(parent);
  const client = await PGlite.create(template);
  await client.close();
  project.provide('pgliteTemplate', template);
  return () => rm(parent, { recursive: true, force: true });
}
