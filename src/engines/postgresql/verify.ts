import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import pg from 'pg';
import type { Logger } from 'pino';
import { backupContents, type BackupContents, type Verification, type VerifyJobSpec, type VerifyReport } from '../../contracts/index.js';
import { JobFailure } from '../../agent/job-failure.js';
import { checkIdentity, identityOf, pgClientConfig } from './connection.js';
import { type PinnedTarget, pinTarget } from '../../agent/pinned-target.js';
import { redact } from '../../agent/redact.js';
import { DatabaseCreation, dropDatabase, restoreFile } from './restore-steps.js';
import { type ArtifactFile, checkedArtifactFile, type StepDependencies } from '../../agent/artifact-file.js';

export interface VerifyDependencies extends StepDependencies {
  logger: Logger;
  workDir: string | undefined;
}

/**
 * A restore drill: restore the artifact into a scratch database on the verification server,
 * count every table's rows, compare with the counts the manifest recorded at backup time, and
 * drop the scratch database whatever happened. A mismatch, a damaged artifact or a restore that
 * fails is a failed drill (reported as a verification, not as a job failure); only trouble with
 * the verification server itself fails the job.
 */
export async function runVerify(spec: VerifyJobSpec, deps: VerifyDependencies): Promise<VerifyReport> {
  const work = await mkdtemp(join(deps.workDir ?? tmpdir(), 'lifeboat-verify-'));
  const scratch = `lifeboat_drill_${randomBytes(6).toString('hex')}`;
  let creation: DatabaseCreation | undefined;
  let target: PinnedTarget | undefined;
  const failed = (problem: string, tables: Verification['details']['tables'] = []): VerifyReport => ({
    outcome: 'succeeded',
    verification: { status: 'failed', checkedAt: new Date().toISOString(), details: { tables, problems: [redact(problem, [deps.password])] } },
  });
  try {
    const manifest = await readManifest(spec, deps);
    if (!manifest) return failed('the manifest holds no table counts to check against');
    target = await pinTarget(spec.scratch, deps.resolve);
    // Made while the artifact is checked (see DatabaseCreation).
    creation = new DatabaseCreation(target, deps.password, scratch);
    let file: ArtifactFile;
    try {
      file = await checkedArtifactFile(spec.artifact, deps, work);
    } catch (error) {
      if (error instanceof JobFailure) return failed(error.failure.message);
      throw error;
    }
    try {
      await creation.done();
      await restoreFile(target, deps, { database: scratch, file });
    } catch (error) {
      // Only pg_restore's failure says the backup does not restore; the scratch server's is the job's.
      if ((await creation.wasMade()) && error instanceof JobFailure) return failed(`the backup does not restore: ${error.failure.message}`);
      throw error;
    } finally {
      await file.close();
    }
    const actual = await countRows(target, scratch, deps.password, manifest.tables);
    const tables = manifest.tables.map((table) => ({ schema: table.schema, name: table.name, expected: table.rows, actual: actual.get(`${table.schema}.${table.name}`) ?? null }));
    const problems = tables
      .filter((table) => table.actual !== table.expected)
      .map((table) => (table.actual === null ? `${table.schema}.${table.name} is missing after the restore` : `${table.schema}.${table.name} has ${table.actual} rows; the backup recorded ${table.expected}`));
    return { outcome: 'succeeded', verification: { status: problems.length === 0 ? 'passed' : 'failed', checkedAt: new Date().toISOString(), details: { tables, problems } } };
  } catch (error) {
    if (deps.signal.aborted) return { outcome: 'canceled' };
    const failure = error instanceof JobFailure ? error.failure : { code: 'restore_failed' as const, message: `the drill failed unexpectedly: ${(error as Error).message}` };
    return { outcome: 'failed', failure: { code: failure.code, message: redact(failure.message, [deps.password]) } };
  } finally {
    if (target && (await creation?.wasMade())) await dropDatabase(target, deps.password, scratch).catch((error: unknown) => deps.logger.warn({ err: error, scratch }, 'could not drop the scratch database'));
    await rm(work, { recursive: true, force: true });
  }
}

async function readManifest(spec: VerifyJobSpec, deps: VerifyDependencies): Promise<BackupContents | undefined> {
  const manifest = JSON.parse((await buffer(await deps.store.get(spec.artifact.manifestKey))).toString('utf8')) as { contents?: unknown };
  const parsed = backupContents.safeParse(manifest.contents);
  return parsed.success ? parsed.data : undefined;
}

async function countRows(target: PinnedTarget, database: string, password: string | undefined, tables: BackupContents['tables']): Promise<Map<string, number>> {
  const client = new pg.Client(pgClientConfig(target, password, 'lifeboat-verify', database));
  client.on('error', () => undefined);
  await client.connect();
  try {
    // The counts are only evidence if they come from the scratch database the drill restored into.
    checkIdentity(target, await identityOf(client), database);
    const counts = new Map<string, number>();
    for (const table of tables) {
      try {
        const { rows } = await client.query<{ n: string }>(`select count(*) as n from only ${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)}`);
        counts.set(`${table.schema}.${table.name}`, Number(rows[0]?.n ?? 0));
      } catch {
        // Missing after the restore: reported as such by the caller.
      }
    }
    return counts;
  } finally {
    await client.end().catch(() => undefined);
  }
}
