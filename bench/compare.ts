/**
 * Two builds of Lifeboat measured in turns: this checkout's and another's (`--against`, a
 * checkout with `npm run build` done), each on both topologies of bench/end-to-end.ts, against
 * the raw tools measured once per round. Within a round the two builds run back to back, in
 * alternating order, so both see the machine as it is that minute: the difference between them
 * is read per round (paired), which on these noisy machines resolves far smaller changes than
 * comparing two separate runs of bench/backup-restore.ts.
 *
 *   npx tsx bench/compare.ts --against ../lifeboat-before [--size 100] [--rounds 8] [--restores]
 *
 * Source databases (bench/generated-database.ts) are kept between invocations; results go to
 * stdout as Markdown, progress to stderr.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { addService, deleteBackup, dropDatabase, lifeboatBackup, lifeboatRestore, rawDump, rawRestore, startServe, startSplit, type Topology } from './end-to-end.js';
import { medianWithRange, progress } from './figures.js';
import { generatedDatabase } from './generated-database.js';

const { values } = parseArgs({
  options: { against: { type: 'string' }, size: { type: 'string', default: '100' }, rounds: { type: 'string', default: '8' }, restores: { type: 'boolean', default: false } },
});
const size = Number(values.size);
const rounds = Number(values.rounds);
if (!values.against || !Number.isInteger(size) || size < 1 || !Number.isInteger(rounds) || rounds < 1) {
  throw new Error('--against names another checkout (built); --size takes MiB, --rounds a whole number');
}
const builds = { this: {}, other: { cli: resolve(values.against, 'bin/lifeboat.js') } };
type BuildName = keyof typeof builds;

const source = await generatedDatabase(size);
const work = await mkdtemp(join(tmpdir(), 'lifeboat-bench-compare-'));
const topologies: { build: BuildName; topology: Topology; serviceId?: string }[] = [];
const ratios = new Map<string, number[]>();
const record = (key: string, ratio: number) => ratios.set(key, [...(ratios.get(key) ?? []), ratio]);
try {
  for (const start of [startServe, startSplit]) {
    for (const build of ['this', 'other'] as const) {
      const entry: (typeof topologies)[number] = { build, topology: await start(join(work, `${build}-${start.name}`), builds[build]) };
      // Listed before anything else can fail, so that the finally below stops it.
      topologies.push(entry);
      entry.serviceId = await addService(entry.topology, source);
    }
  }
  const scratch = `${source}_compared`;
  for (let round = 1; round <= rounds; round++) {
    const file = join(work, 'raw.dump');
    const dumpSeconds = await rawDump(source, file);
    let restoreSeconds = 0;
    if (values.restores) {
      await dropDatabase(scratch);
      restoreSeconds = await rawRestore(file, scratch);
      await dropDatabase(scratch);
    }
    await rm(file);
    // Each topology's two builds sit side by side in the list: every other round swaps them.
    const order = round % 2 === 1 ? topologies : topologies.map((_, index) => topologies[index ^ 1]!);
    const line: string[] = [];
    for (const { build, topology, serviceId } of order) {
      const backup = await lifeboatBackup(topology, serviceId!, source);
      record(`${topology.name} backup ${build}`, backup.seconds / dumpSeconds);
      line.push(`${topology.name}/${build} backup ${(backup.seconds / dumpSeconds).toFixed(2)}×`);
      if (values.restores) {
        const restore = await lifeboatRestore(topology, backup.backupId, scratch);
        record(`${topology.name} restore ${build}`, restore.seconds / restoreSeconds);
        line.push(`restore ${(restore.seconds / restoreSeconds).toFixed(2)}×`);
        await dropDatabase(scratch);
      }
      await deleteBackup(topology, backup.backupId);
    }
    progress(`round ${round}: pg_dump ${dumpSeconds.toFixed(1)} s${values.restores ? `, pg_restore ${restoreSeconds.toFixed(1)} s` : ''}; ${line.join(', ')}`);
  }
} finally {
  await Promise.all(topologies.map(({ topology }) => topology.stop()));
  await rm(work, { recursive: true, force: true });
}

const lines = [
  `${size} MiB, ${rounds} rounds, median (min–max) of ratios over the raw tool's time in the same round; this build against ${values.against}`,
  '',
  '| operation | this build | the other build | difference, paired per round |',
  '|---|---|---|---|',
];
for (const topology of ['serve', 'split']) {
  for (const operation of values.restores ? ['backup', 'restore'] : ['backup']) {
    const mine = ratios.get(`${topology} ${operation} this`) ?? [];
    const theirs = ratios.get(`${topology} ${operation} other`) ?? [];
    const differences = mine.map((ratio, index) => ratio - theirs[index]!);
    lines.push(`| ${operation}, ${topology} | ${medianWithRange(mine, 2)} | ${medianWithRange(theirs, 2)} | ${medianWithRange(differences, 2)} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
