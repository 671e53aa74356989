/**
 * Agent memory and overhead: `lifeboat agent backup` streaming a real pg_dump of generated,
 * incompressible data into the filesystem store and into S3 (s3rver), against the raw
 * `pg_dump -Fc -f file` of the same database, measured in the same run.
 *
 *   npx tsx bench/agent-memory.ts [--sizes 100,1024] [--runs 3]
 *
 * Peak RSS is the kernel's high-water mark (VmHWM) of the agent process. The source databases
 * (`lifeboat_bench_<MiB>`) are kept between runs, since generating them takes a while; drop them
 * with `--drop`.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { artifactPrefixOf, agentReport, type BackupJobSpec } from '../src/contracts/index.js';
import { openObjectStore } from '../src/storage/open-object-store.js';
import { startS3Server } from '../test/support/s3-server.js';
import { adminQuery, postgresHost, postgresPort, postgresUrl, postgresUser } from '../test/support/postgres.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { sizes: { type: 'string', default: '100,1024' }, runs: { type: 'string', default: '3' }, drop: { type: 'boolean', default: false } } });
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);

async function ensureDatabase(mib: number): Promise<string> {
  const name = `lifeboat_bench_${mib}`;
  const exists = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) {
    process.stderr.write(`generating ${mib} MiB of random data in ${name}…\n`);
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = postgresUrl(name);
    await run('psql', [url, '-qc', 'CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE TABLE blobs (id int PRIMARY KEY, payload bytea)']);
    // 1 MiB per statement keeps memory low; random bytes do not compress, so the dump is as large as the data.
    const rowsPerMiB = 1024;
    for (let offset = 0; offset < mib; offset += 64) {
      const chunk = Math.min(64, mib - offset);
      await run('psql', [url, '-qc', `INSERT INTO blobs SELECT g, gen_random_bytes(1024) FROM generate_series(${offset * rowsPerMiB + 1}, ${(offset + chunk) * rowsPerMiB}) g`]);
    }
  }
  return name;
}

/** Runs a command and samples its peak RSS (VmHWM) until it exits. */
async function measure(command: string, args: string[], env: Record<string, string>): Promise<{ seconds: number; peakRssMiB: number; stdout: string }> {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  let peakKiB = 0;
  const sample = async () => {
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
  };
  const timer = setInterval(() => void sample(), 20);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${command} exited with ${code}: ${stdout.slice(-500)}`);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMiB: peakKiB / 1024, stdout };
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
const summary = (numbers: number[]) => `${median(numbers).toFixed(2)} (${Math.min(...numbers).toFixed(2)}–${Math.max(...numbers).toFixed(2)})`;

const s3 = await startS3Server();
const work = await mkdtemp(join(tmpdir(), 'lifeboat-bench-'));
const cli = resolve('dist/cli/main.js');
const rows: string[] = [];
try {
  for (const mib of sizes) {
    const database = await ensureDatabase(mib);
    const results = { raw: [] as number[], fs: [] as number[], s3: [] as number[], fsRss: [] as number[], s3Rss: [] as number[], rawRss: [] as number[] };
    let dumpBytes = 0;
    for (let i = 0; i < runs; i++) {
      const rawFile = join(work, 'raw.dump');
      const raw = await measure('pg_dump', ['-Fc', '-f', rawFile, '-h', postgresHost, '-p', String(postgresPort), '-U', postgresUser, database], { PATH: process.env.PATH ?? '' });
      results.raw.push(raw.seconds);
      results.rawRss.push(raw.peakRssMiB);
      await rm(rawFile);
      for (const target of ['fs', 's3'] as const) {
        const ids = { projectId: 'prj_bench', serviceId: 'svc_bench', backupId: `bkp_bench_${mib}_${i}_${target}` };
        const spec: BackupJobSpec = { kind: 'backup', jobId: 'job_bench', engine: 'postgresql', connection: { host: postgresHost, port: postgresPort, database, user: postgresUser }, artifactPrefix: artifactPrefixOf(ids), ...ids };
        const storageUrl = target === 'fs' ? pathToFileURL(join(work, 'store')).href : `s3://${s3.bucket}/bench?endpoint=${s3.endpoint}&region=${s3.region}`;
        const agent = await measure(process.execPath, [cli, 'agent', 'backup'], {
          PATH: process.env.PATH ?? '',
          LIFEBOAT_JOB: JSON.stringify(spec),
          LIFEBOAT_STORAGE_URL: storageUrl,
          LIFEBOAT_LOG_LEVEL: 'warn',
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
        });
        const report = agentReport.parse(JSON.parse(agent.stdout.trim().split('\n').at(-1)!));
        if (report.outcome !== 'succeeded') throw new Error(JSON.stringify(report));
        dumpBytes = report.artifact.sizeBytes;
        results[target].push(agent.seconds);
        results[`${target}Rss`].push(agent.peakRssMiB);
        const store = openObjectStore(storageUrl, { s3Credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
        if (target === 's3' && i === 0 && store.presignedDownloadUrl) {
          // The download link must give back exactly what was backed up.
          const url = await store.presignedDownloadUrl(report.artifact.key, { expiresInSeconds: 600, fileName: 'bench.dump' });
          const response = await fetch(url);
          const hash = createHash('sha256');
          for await (const chunk of response.body!) hash.update(chunk as Uint8Array);
          if (hash.digest('hex') !== report.artifact.sha256) throw new Error('the downloaded bytes differ from the backup');
        }
        await store.deletePrefix(spec.artifactPrefix);
      }
    }
    const ratio = (list: number[]) => summary(list.map((seconds, index) => seconds / results.raw[index]!));
    rows.push(
      `| ${mib} MiB | ${(dumpBytes / 2 ** 20).toFixed(0)} MiB | ${summary(results.raw)} | ${ratio(results.fs)} | ${ratio(results.s3)} | ${summary(results.rawRss)} | ${summary(results.fsRss)} | ${summary(results.s3Rss)} |`,
    );
    if (values.drop) await adminQuery(`DROP DATABASE ${database}`);
  }
} finally {
  await s3.stop();
  await rm(work, { recursive: true, force: true });
}
process.stdout.write(
  [
    `runs: ${runs} per size, median (min–max); ratios are Lifeboat time / raw pg_dump time of the same run`,
    '| data | dump | raw pg_dump -Fc -f (s) | agent → filesystem (ratio) | agent → S3 (ratio) | pg_dump peak RSS (MiB) | agent → filesystem peak RSS (MiB) | agent → S3 peak RSS (MiB) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n') + '\n',
);
