/**
 * Backup and restore overhead, end to end: a backup requested through the API until it is
 * `succeeded`, and a restore into a new database until it is `succeeded`, on two topologies —
 * `lifeboat serve` on its embedded defaults (PGlite, embedded bus, filesystem store) and split
 * roles (`lifeboat api` + `lifeboat orchestrator`, PostgreSQL platform database, NATS, S3 on
 * s3rver) — against the raw tools on the same database in the same run: `pg_dump -Fc -f file`
 * and `createdb` + `pg_restore -j N` of that file, with the N Lifeboat's restore uses; for the
 * split topology also the script itself: `pg_dump -Fc | upload` to its S3 server, and its
 * restore, download + `createdb` + `pg_restore -j N`. Also the
 * peak RSS of every agent process. Needs `npm run build` first (it runs the built CLI).
 *
 *   npx tsx bench/backup-restore.ts [--sizes 100,1024,4096] [--runs 5] [--restore serve,split]
 *
 * Source databases (bench/generated-database.ts) are kept between invocations; results go to
 * stdout as Markdown, progress to stderr.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { addService, deleteBackup, dropDatabase, lifeboatBackup, lifeboatRestore, rawDump, rawDumpToS3, rawRestore, rawRestoreFromS3, removeRawDump, restoreJobs, startServe, startSplit, type Topology } from './end-to-end.js';
import { medianWithRange, progress } from './figures.js';
import type { TestS3Server } from '../test/support/s3-server.js';
import { generatedDatabase, sizeMiB } from './generated-database.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,1024,4096' }, runs: { type: 'string', default: '5' }, restore: { type: 'string', default: 'serve,split' } } });
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const restoreOn = new Set(values.restore.split(',').filter((name) => name !== ''));
if (!sizes.every((size) => Number.isInteger(size) && size > 0) || !Number.isInteger(runs) || runs < 1) throw new Error('--sizes takes MiB, comma-separated; --runs a whole number');

interface Measured {
  rawDump: number[];
  /** `pg_dump -Fc | upload` to the split topology's S3 server, and its download + `createdb` + `pg_restore`. */
  rawDumpToS3: number[];
  rawRestoreFromS3: number[];
  rawRestore: number[];
  backup: Record<Topology['name'], number[]>;
  backupRss: Record<Topology['name'], number[]>;
  restore: Record<Topology['name'], number[]>;
  restoreRss: Record<Topology['name'], number[]>;
  dumpMiB: number;
  dataMiB: number;
}

async function measureSize(mib: number, topologies: Topology[], work: string): Promise<Measured> {
  const source = await generatedDatabase(mib);
  const measured: Measured = { rawDump: [], rawDumpToS3: [], rawRestoreFromS3: [], rawRestore: [], backup: { serve: [], split: [] }, backupRss: { serve: [], split: [] }, restore: { serve: [], split: [] }, restoreRss: { serve: [], split: [] }, dumpMiB: 0, dataMiB: await sizeMiB(source) };
  const services = new Map<Topology, string>();
  for (const topology of topologies) services.set(topology, await addService(topology, source));
  const scratch = `${source}_restored`;
  const file = join(work, 'raw.dump');
  const rawFileSteps = async () => {
    measured.rawDump.push(await rawDump(source, file));
    measured.dumpMiB = (await stat(file)).size / 2 ** 20;
    if (restoreOn.size > 0) {
      await dropDatabase(scratch);
      measured.rawRestore.push(await rawRestore(file, scratch));
      await dropDatabase(scratch);
    }
    await rm(file);
  };
  const rawS3Steps = async (s3: TestS3Server) => {
    measured.rawDumpToS3.push(await rawDumpToS3(source, s3));
    if (restoreOn.has('split')) {
      measured.rawRestoreFromS3.push(await rawRestoreFromS3(source, s3, file, scratch));
      await dropDatabase(scratch);
    }
    await removeRawDump(source, s3);
  };
  const lifeboatSteps = async (topology: Topology) => {
    const backup = await lifeboatBackup(topology, services.get(topology)!, source);
    measured.backup[topology.name].push(backup.seconds);
    measured.backupRss[topology.name].push(backup.rssMiB);
    if (restoreOn.has(topology.name)) {
      const restore = await lifeboatRestore(topology, backup.backupId, scratch);
      measured.restore[topology.name].push(restore.seconds);
      measured.restoreRss[topology.name].push(restore.rssMiB);
      await dropDatabase(scratch);
    }
    await deleteBackup(topology, backup.backupId);
  };
  // Each Lifeboat topology runs next to its own baseline (serve beside `pg_dump -f`, split roles
  // beside the script through S3), and every other run in the reverse order, so that neither
  // side always comes first or always follows the other's work (the S3 script, whose server
  // runs in this process, had always run just before the serve backup).
  const steps = [rawFileSteps, ...topologies.map((topology) => () => lifeboatSteps(topology))];
  const s3 = topologies.find((topology) => topology.s3)?.s3;
  if (s3) steps.push(() => rawS3Steps(s3));
  for (let run = 1; run <= runs; run++) {
    for (const step of run % 2 === 1 ? steps : [...steps].reverse()) await step();
    progress(
      `${mib} MiB run ${run}: pg_dump ${measured.rawDump.at(-1)!.toFixed(1)} s` +
        topologies.map((topology) => `, ${topology.name} backup ${(measured.backup[topology.name].at(-1)! / measured.rawDump.at(-1)!).toFixed(2)}×`).join('') +
        (measured.rawDumpToS3.length > 0 ? ` (split over pg_dump | upload ${(measured.backup.split.at(-1)! / measured.rawDumpToS3.at(-1)!).toFixed(2)}×)` : '') +
        (measured.rawRestore.length > 0 ? `; pg_restore ${measured.rawRestore.at(-1)!.toFixed(1)} s` : '') +
        topologies.filter((topology) => restoreOn.has(topology.name)).map((topology) => `, ${topology.name} restore ${(measured.restore[topology.name].at(-1)! / measured.rawRestore.at(-1)!).toFixed(2)}×`).join('') +
        (measured.rawRestoreFromS3.length > 0 ? ` (split over download + pg_restore ${(measured.restore.split.at(-1)! / measured.rawRestoreFromS3.at(-1)!).toFixed(2)}×)` : ''),
    );
  }
  return measured;
}

const ratios = (lifeboat: number[], raw: number[]) => medianWithRange(lifeboat.map((seconds, index) => seconds / raw[index]!), 2);
const work = await mkdtemp(join(tmpdir(), 'lifeboat-bench-backup-'));
const topologies = [await startServe(work), await startSplit(work)];
const results = new Map<number, Measured>();
try {
  for (const mib of sizes) results.set(mib, await measureSize(mib, topologies, work));
} finally {
  await Promise.all(topologies.map((topology) => topology.stop()));
  await rm(work, { recursive: true, force: true });
}

const lines = [
  `${runs} runs per size, median (min–max); ratios are Lifeboat's time over the raw tool's time in the same run`,
  '',
  '| data | dump | raw `pg_dump -Fc -f` (s) | serve, filesystem | split roles, S3 | raw `pg_dump -Fc \\| upload` (s) | split roles, S3, over it | agent peak RSS, filesystem (MiB) | agent peak RSS, S3 (MiB) |',
  '|---|---|---|---|---|---|---|---|---|',
  ...[...results].map(
    ([mib, m]) =>
      `| ${mib} MiB (${m.dataMiB.toFixed(0)} on disk) | ${m.dumpMiB.toFixed(0)} MiB | ${medianWithRange(m.rawDump, 1)} | ${ratios(m.backup.serve, m.rawDump)} | ${ratios(m.backup.split, m.rawDump)} | ` +
      `${medianWithRange(m.rawDumpToS3, 1)} | ${ratios(m.backup.split, m.rawDumpToS3)} | ` +
      `${medianWithRange(m.backupRss.serve, 1)} | ${medianWithRange(m.backupRss.split, 1)} |`,
  ),
];
if (restoreOn.size > 0) {
  lines.push(
    '',
    `| data | raw \`createdb\` + \`pg_restore -j ${restoreJobs}\` (s) | serve, filesystem | split roles, S3 | raw download + \`createdb\` + \`pg_restore\` (s) | split roles, S3, over it | agent peak RSS, filesystem (MiB) | agent peak RSS, S3 (MiB) |`,
    '|---|---|---|---|---|---|---|---|',
    ...[...results].map(
      ([mib, m]) =>
        `| ${mib} MiB | ${medianWithRange(m.rawRestore, 1)} | ${restoreOn.has('serve') ? ratios(m.restore.serve, m.rawRestore) : 'not run'} | ${restoreOn.has('split') ? ratios(m.restore.split, m.rawRestore) : 'not run'} | ` +
        `${m.rawRestoreFromS3.length > 0 ? `${medianWithRange(m.rawRestoreFromS3, 1)} | ${ratios(m.restore.split, m.rawRestoreFromS3)}` : 'not run | not run'} | ` +
        `${medianWithRange(m.restoreRss.serve, 1)} | ${medianWithRange(m.restoreRss.split, 1)} |`,
    ),
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
