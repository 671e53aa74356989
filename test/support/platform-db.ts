import { rmSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openPlatformDatabase, type PlatformDatabase } from '../../src/db/platform-database.js';
import { createTestDatabase } from './postgres.js';

export type PlatformKind = 'pglite' | 'postgres';
export const platformKinds: PlatformKind[] = ['pglite', 'postgres'];

export const silentLogger = pino({ level: 'silent' });

export interface TestPlatformDatabase {
  database: PlatformDatabase;
  /** postgres:// URL of the database (PostgreSQL only). */
  url: string | undefined;
  /** Where the PGlite data lives (PGlite only). */
  dataDir: string | undefined;
  close(): Promise<void>;
}

/** A fresh, empty platform database of either kind: PGlite in a temp dir, or a new PostgreSQL database. */
export async function openTestPlatformDatabase(kind: PlatformKind): Promise<TestPlatformDatabase> {
  if (kind === 'postgres') {
    const created = await createTestDatabase('platform');
    const database = await openPlatformDatabase({ url: created.url, dataDir: '/nonexistent', logger: silentLogger });
    return {
      database,
      url: created.url,
      dataDir: undefined,
      async close() {
        await database.close();
        await created.drop();
      },
    };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'lifeboat-pglite-'));
  // A new PGlite directory takes seconds to initialise; a copy of an initialised one opens at once.
  await cp(await pgliteTemplate(), join(dataDir, 'platform-db'), { recursive: true });
  const database = await openPlatformDatabase({ url: undefined, dataDir, logger: silentLogger });
  return {
    database,
    url: undefined,
    dataDir,
    async close() {
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

let template: Promise<string> | undefined;

/** An empty, initialised PGlite data directory, made once per test worker. */
function pgliteTemplate(): Promise<string> {
  template ??= (async () => {
    const parent = await mkdtemp(join(tmpdir(), 'lifeboat-pglite-template-'));
    process.once('exit', () => rmSync(parent, { recursive: true, force: true }));
    const directory = join(parent, 'platform-db');
    const client = await PGlite.create(directory);
    await client.close();
    return directory;
  })();
  return template;
}
