/**
 * Backup and restore overhead, end to end: a backup requested through the API until it is
 * `succeeded`, and a restore into a new database until it is `succeeded`, on two topologies —
 * `lifeboat serve` on its embedded defaults (PGlite, embedded bus, filesystem store) and split
 * roles (`lifeboat api` + `lifeboat orchestrator`, PostgreSQL platform database, NATS, S3 on
 * s3rver) — against the raw tools on the same database in the same run: `pg_dump -Fc -f file`
 * and `createdb` + `pg_restore -j N` of that file, with the N Lifeboat's restore uses. Also the
 * peak RSS of every agent process. Needs `npm run build` first (it runs the built CLI).
 *
 *   npx tsx bench/backup-restore.ts [--sizes 100,1024,4096] [--runs 5] [--restore serve,split]
 *
 * Source databases (bench/generated-database.ts) are kept between invocations; results go to
 * stdout as Markdown, progress to stderr.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { apiClient, type LifeboatProcess, startLifeboat } from '../test/support/lifeboat-process.js';
import { startNatsServer, type TestNatsServer } from '../test/support/nats-server.js';
import { adminQuery, createTestDatabase, postgresHost, postgresPort, postgresUser, type TestDatabase } from '../test/support/postgres.js';
import { startS3Server, type TestS3Server } from '../test/support/s3-server.js';
import { medianWithRange, progress, sleep, watchPeakRss } from './figures.js';
import { generatedDatabase, sizeMiB } from './generated-database.js';

const execute = promisify(execFile);
const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,1024,4096' }, runs: { type: 'string', default: '5' }, restore: { type: 'string', default: 'serve,split' } } });
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const restoreOn = new Set(values.restore.split(',').filter((name) => name !== ''));
if (!sizes.every((size) => Number.isInteger(size) && size > 0) || !Number.isInteger(runs) || runs < 1) throw new Error('--sizes takes MiB, comma-separated; --runs a whole number');
// What src/agent/restore-steps.ts gives pg_restore.
const restoreJobs = Math.min(4, availableParallelism());
const adminToken = 'lba_bench-admin-token-0123456789abcdef';
const pgEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', PGHOST: postgresHost, PGPORT: String(postgresPort), PGUSER: postgresUser };

type Api = ReturnType<typeof apiClient>;
interface Topology {
  name: 'serve' | 'split';
  api: Api;
  projectId: string;
  stop(): Promise<void>;
}

async function ownerOf(url: string, token: string): Promise<{ api: Api; projectId: string }> {
  const admin = apiClient(url, token);
  const projectId = (await admin('POST', '/v1/projects', { name: 'bench' })).body.id as string;
  const owner = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token as string;
  return { api: apiClient(url, owner), projectId };
}

async function startServe(work: string): Promise<Topology> {
  const serve = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'serve'), LIFEBOAT_LOG_LEVEL: 'warn' });
  return { name: 'serve', ...(await ownerOf(serve.url, serve.adminToken!)), stop: async () => void (await serve.stop()) };
}

async function startSplit(work: string): Promise<Topology> {
  const parts: { platform?: TestDatabase; nats?: TestNatsServer; s3?: TestS3Server; processes: LifeboatProcess[] } = { processes: [] };
  const stop = async () => {
    await Promise.all(parts.processes.map((process) => process.stop()));
    await Promise.all([parts.nats?.stop(), parts.s3?.stop(), parts.platform?.drop()]);
  };
  try {
    [parts.platform, parts.nats, parts.s3] = await Promise.all([createTestDatabase('bench_split_platform'), startNatsServer(), startS3Server()]);
    const env = {
      LIFEBOAT_DATABASE_URL: parts.platform.url,
      LIFEBOAT_BUS_URL: parts.nats.url,
      LIFEBOAT_STORAGE_URL: `s3://${parts.s3.bucket}/lifeboat?endpoint=${parts.s3.endpoint}&region=${parts.s3.region}`,
      AWS_ACCESS_KEY_ID: parts.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: parts.s3.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LIFEBOAT_SECRET_KEY: 'bench secret key, long enough for the config 0123456789',
      LIFEBOAT_ADMIN_TOKEN: adminToken,
      LIFEBOAT_LOG_LEVEL: 'warn',
    };
    const api = await startLifeboat('api', { ...env, LIFEBOAT_DATA_DIR: join(work, 'api') });
    parts.processes.push(api, await startLifeboat('orchestrator', { ...env, LIFEBOAT_DATA_DIR: join(work, 'orchestrator') }));
    return { name: 'split', ...(await ownerOf(api.url, adminToken)), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Reads a backup or restore until it ends, with the API's waiting reads (`?waitSeconds=`): the
 * answer comes when the API learns of the end, and no polling loads the two cores meanwhile
 * (polling every 50 ms, as this bench once did, slowed the backup's own pg_dump by 0.2–0.4 s).
 */
async function untilEnded(api: Api, path: string): Promise<any> {
  for (;;) {
    const { body } = await api('GET', `${path}?waitSeconds=30`);
    if (['succeeded', 'failed', 'canceled'].includes(body.status)) return body;
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { seconds: (performance.now() - started) / 1000, result };
}

interface Measured {
  rawDump: number[];
  rawRestore: number[];
  backup: Record<Topology['name'], number[]>;
  backupRss: Record<Topology['name'], number[]>;
  restore: Record<Topology['name'], number[]>;
  restoreRss: Record<Topology['name'], number[]>;
  dumpMiB: number;
  dataMiB: number;
}

/**
 * Every measured operation, raw or Lifeboat's, starts on a machine that has had two seconds to
 * settle: an orchestrator starts its next standby agent 0.3 s after a job ends, which then takes
 * up to 0.8 s of CPU to load (the S3 SDK's modules most), and an operation started meanwhile
 * would share the two cores with it: a Lifeboat job would pay part of the agent's start (a
 * platform's jobs rarely come that close), a raw baseline would be slowed and flatter the ratios.
 */
const settle = () => sleep(2000);

async function lifeboatBackup(topology: Topology, serviceId: string, database: string): Promise<{ seconds: number; rssMiB: number; backupId: string }> {
  await settle();
  const agent = watchPeakRss([`--dbname=${database}`, '--format=custom']);
  const { seconds, result } = await timed(async () => {
    const requested = await topology.api('POST', `/v1/services/${serviceId}/backups`);
    if (requested.status !== 202) throw new Error(`backup request answered ${requested.status}: ${JSON.stringify(requested.body)}`);
    return untilEnded(topology.api, `/v1/backups/${requested.body.id}`);
  });
  const rssMiB = await agent.stop();
  if (result.status !== 'succeeded') throw new Error(`${topology.name}: backup ${result.id} ${result.status}: ${JSON.stringify(result.failure)}`);
  return { seconds, rssMiB, backupId: result.id };
}

async function lifeboatRestore(topology: Topology, backupId: string, database: string): Promise<{ seconds: number; rssMiB: number }> {
  await settle();
  const agent = watchPeakRss([`--dbname=${database}`, '--exit-on-error']);
  const { seconds, result } = await timed(async () => {
    const requested = await topology.api('POST', `/v1/backups/${backupId}/restores`, { target: { kind: 'new_database', database } });
    if (requested.status !== 202) throw new Error(`restore request answered ${requested.status}: ${JSON.stringify(requested.body)}`);
    return untilEnded(topology.api, `/v1/restores/${requested.body.id}`);
  });
  const rssMiB = await agent.stop();
  if (result.status !== 'succeeded') throw new Error(`${topology.name}: restore ${result.id} ${result.status}: ${JSON.stringify(result.failure)}`);
  return { seconds, rssMiB };
}

async function measureSize(mib: number, topologies: Topology[], work: string): Promise<Measured> {
  const source = await generatedDatabase(mib);
  const measured: Measured = { rawDump: [], rawRestore: [], backup: { serve: [], split: [] }, backupRss: { serve: [], split: [] }, restore: { serve: [], split: [] }, restoreRss: { serve: [], split: [] }, dumpMiB: 0, dataMiB: await sizeMiB(source) };
  const services = new Map<Topology, string>();
  for (const topology of topologies) {
    const created = await topology.api('POST', `/v1/projects/${topology.projectId}/services`, {
      name: `bench-${mib}`,
      engine: 'postgresql',
      connection: { host: postgresHost, port: postgresPort, database: source, user: postgresUser, password: '' },
    });
    if (created.status !== 201) throw new Error(`service: ${JSON.stringify(created.body)}`);
    services.set(topology, created.body.id);
  }
  const scratch = `${source}_restored`;
  const dropScratch = () => adminQuery(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  for (let run = 1; run <= runs; run++) {
    const file = join(work, 'raw.dump');
    await settle();
    measured.rawDump.push((await timed(() => execute('pg_dump', ['-Fc', '-f', file, source], { env: pgEnv }))).seconds);
    measured.dumpMiB = (await stat(file)).size / 2 ** 20;
    if (restoreOn.size > 0) {
      await dropScratch();
      await settle();
      measured.rawRestore.push(
        (
          await timed(async () => {
            await execute('createdb', [scratch], { env: pgEnv });
            await execute('pg_restore', ['--no-owner', '--jobs', String(restoreJobs), '-d', scratch, file], { env: pgEnv });
          })
        ).seconds,
      );
      await dropScratch();
    }
    await rm(file);
    for (const topology of topologies) {
      const backup = await lifeboatBackup(topology, services.get(topology)!, source);
      measured.backup[topology.name].push(backup.seconds);
      measured.backupRss[topology.name].push(backup.rssMiB);
      if (restoreOn.has(topology.name)) {
        const restore = await lifeboatRestore(topology, backup.backupId, scratch);
        measured.restore[topology.name].push(restore.seconds);
        measured.restoreRss[topology.name].push(restore.rssMiB);
        await dropScratch();
      }
      // Only the backup being measured takes space in the store.
      const deleted = await topology.api('DELETE', `/v1/backups/${backup.backupId}`);
      if (deleted.status >= 300) throw new Error(`delete answered ${deleted.status}: ${JSON.stringify(deleted.body)}`);
    }
    progress(
      `${mib} MiB run ${run}: pg_dump ${measured.rawDump.at(-1)!.toFixed(1)} s` +
        topologies.map((topology) => `, ${topology.name} backup ${(measured.backup[topology.name].at(-1)! / measured.rawDump.at(-1)!).toFixed(2)}×`).join('') +
        (measured.rawRestore.length > 0 ? `; pg_restore ${measured.rawRestore.at(-1)!.toFixed(1)} s` : '') +
        topologies.filter((topology) => restoreOn.has(topology.name)).map((topology) => `, ${topology.name} restore ${(measured.restore[topology.name].at(-1)! / measured.rawRestore.at(-1)!).toFixed(2)}×`).join(''),
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
  '| data | dump | raw `pg_dump -Fc -f` (s) | serve, filesystem | split roles, S3 | agent peak RSS, filesystem (MiB) | agent peak RSS, S3 (MiB) |',
  '|---|---|---|---|---|---|---|',
  ...[...results].map(
    ([mib, m]) =>
      `| ${mib} MiB (${m.dataMiB.toFixed(0)} on disk) | ${m.dumpMiB.toFixed(0)} MiB | ${medianWithRange(m.rawDump, 1)} | ${ratios(m.backup.serve, m.rawDump)} | ${ratios(m.backup.split, m.rawDump)} | ` +
      `${medianWithRange(m.backupRss.serve, 1)} | ${medianWithRange(m.backupRss.split, 1)} |`,
  ),
];
if (restoreOn.size > 0) {
  lines.push(
    '',
    `| data | raw \`createdb\` + \`pg_restore -j ${restoreJobs}\` (s) | serve, filesystem | split roles, S3 | agent peak RSS, filesystem (MiB) | agent peak RSS, S3 (MiB) |`,
    '|---|---|---|---|---|---|',
    ...[...results].map(
      ([mib, m]) =>
        `| ${mib} MiB | ${medianWithRange(m.rawRestore, 1)} | ${restoreOn.has('serve') ? ratios(m.restore.serve, m.rawRestore) : 'not run'} | ${restoreOn.has('split') ? ratios(m.restore.split, m.rawRestore) : 'not run'} | ` +
        `${medianWithRange(m.restoreRss.serve, 1)} | ${medianWithRange(m.restoreRss.split, 1)} |`,
    ),
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
