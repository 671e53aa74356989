import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { inject } from 'vitest';
import { openPlatformDatabase, pgliteDirectoryIn, type PlatformDatabase } from '../../src/db/platform-database.js';
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
  await seedPlatformDatabase(dataDir);
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

/**
 * Puts an initialised, empty PGlite platform database into `dataDir`, as `lifeboat serve` would
 * leave it after its first start. A new PGlite directory costs seconds of CPU to initialise (far
 * more on a loaded machine), so the suite makes one before it starts (global-setup.ts) and each
 * test copies it; test/e2e/lifecycle.test.ts still starts from an empty data dir.
 */
export async function seedPlatformDatabase(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await cp(inject('pgliteTemplate'), pgliteDirectoryIn(dataDir), { recursive: true });
}
