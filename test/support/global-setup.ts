import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { adminQuery, postgresUrl } from './postgres.js';

/** Runs once before the suite: the tests need the built CLI (agents run as child processes) and the machine's PostgreSQL. */
export default async function setup(): Promise<void> {
  if (!existsSync(resolve(import.meta.dirname, '../../dist/cli/main.js'))) {
    throw new Error('dist/ is missing: run `npm test` (it builds first) or `npm run build`');
  }
  try {
    await adminQuery('SELECT 1');
  } catch (error) {
    throw new Error(`the tests need PostgreSQL at ${postgresUrl('postgres')}; .ci/run starts it`, { cause: error });
  }
}
