/**
 * What the end-to-end benches share: the two topologies (`lifeboat serve` on its embedded
 * defaults; `lifeboat api` + `lifeboat orchestrator` on PostgreSQL, NATS and S3 on s3rver), a
 * service on each, and the timed operations, Lifeboat's and the raw tools'.
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { apiClient, type LifeboatProcess, startLifeboat } from '../test/support/lifeboat-process.js';
import { startNatsServer, type TestNatsServer } from '../test/support/nats-server.js';
import { adminQuery, createTestDatabase, postgresHost, postgresPort, postgresUser, type TestDatabase } from '../test/support/postgres.js';
import { startS3Server, type TestS3Server } from '../test/support/s3-server.js';
import { sleep, watchPeakRss } from './figures.js';

const execute = promisify(execFile);
/** What src/agent/restore-steps.ts gives pg_restore. */
export const restoreJobs = Math.min(4, availableParallelism());
const adminToken = 'lba_bench-admin-token-0123456789abcdef';
const pgEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', PGHOST: postgresHost, PGPORT: String(postgresPort), PGUSER: postgresUser };

type Api = ReturnType<typeof apiClient>;
export interface Topology {
  name: 'serve' | 'split';
  api: Api;
  projectId: string;
  /** The split topology's S3 server, for the raw upload it is compared with. */
  s3?: TestS3Server;
  stop(): Promise<void>;
}

/** Which build a topology runs: this checkout's unless `cli` names another's `bin/lifeboat.js`. */
export interface Build {
  cli?: string;
}

async function ownerOf(url: string, token: string): Promise<{ api: Api; projectId: string }> {
  const admin = apiClient(url, token);
  const projectId = (await admin('POST', '/v1/projects', { name: 'bench' })).body.id as string;
  const owner = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token as string;
  return { api: apiClient(url, owner), projectId };
}

export async function startServe(work: string, build: Build = {}): Promise<Topology> {
  const serve = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'serve'), LIFEBOAT_LOG_LEVEL: 'warn' }, build);
  return { name: 'serve', ...(await ownerOf(serve.url, serve.adminToken!)), stop: async () => void (await serve.stop()) };
}

export async function startSplit(work: string, build: Build = {}): Promise<Topology> {
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
      // The sources live on this machine's PostgreSQL, beside the platform database, and a project owner registers them.
      LIFEBOAT_SERVICE_NETWORKS: '127.0.0.1/32',
      LIFEBOAT_SERVICE_REGISTRATION: 'owner',
    };
    const api = await startLifeboat('api', { ...env, LIFEBOAT_DATA_DIR: join(work, 'api') }, build);
    parts.processes.push(api, await startLifeboat('orchestrator', { ...env, LIFEBOAT_DATA_DIR: join(work, 'orchestrator') }, build));
    return { name: 'split', ...(await ownerOf(api.url, adminToken)), s3: parts.s3, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Registers `database` as a service of the topology's project; returns its id. */
export async function addService(topology: Topology, database: string): Promise<string> {
  const created = await topology.api('POST', `/v1/projects/${topology.projectId}/services`, {
    name: database.replaceAll('_', '-'),
    engine: 'postgresql',
    connection: { host: postgresHost, port: postgresPort, database, user: postgresUser, password: '' },
  });
  if (created.status !== 201) throw new Error(`service: ${JSON.stringify(created.body)}`);
  return created.body.id as string;
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

/**
 * Every measured operation, raw or Lifeboat's, starts on a machine that has had two seconds to
 * settle: an orchestrator starts its next standby agent 0.3 s after a job ends, which then takes
 * up to 0.8 s of CPU to load (the S3 SDK's modules most), and an operation started meanwhile
 * would share the two cores with it: a Lifeboat job would pay part of the agent's start (a
 * platform's jobs rarely come that close), a raw baseline would be slowed and flatter the ratios.
 */
const settle = () => sleep(2000);

/** `pg_dump -Fc -f file`: the baseline of a backup. */
export async function rawDump(database: string, file: string): Promise<number> {
  await settle();
  return (await timed(() => execute('pg_dump', ['-Fc', '-f', file, database], { env: pgEnv }))).seconds;
}

/** An S3 client for the raw script's side, set as Lifeboat's (src/storage/s3-client.ts). */
function rawS3Client(s3: TestS3Server): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    // The SDK's default CRC32 of every part would slow the baseline; Lifeboat does not send it either.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Where the raw script keeps its dump of `database` in the bucket. */
const rawKey = (database: string) => `raw/${database}.dump`;

/**
 * `pg_dump -Fc | upload`: the script a user would otherwise write, with the same SDK, part size
 * (16 MiB) and parts in flight (4) as Lifeboat's uploader, to the same S3 server. It does what
 * such a script does and no more: no checksum of its own, no manifest, no record. The object
 * stays for `rawRestoreFromS3`; `removeRawDump` deletes it.
 */
export async function rawDumpToS3(database: string, s3: TestS3Server): Promise<number> {
  const client = rawS3Client(s3);
  const key = rawKey(database);
  try {
    await settle();
    return (
      await timed(async () => {
        const dump = spawn('pg_dump', ['-Fc', database], { env: pgEnv, stdio: ['ignore', 'pipe', 'inherit'] });
        const exited = new Promise<number | null>((resolve) => dump.once('close', resolve));
        const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: key }));
        const parts: Promise<{ ETag?: string; PartNumber: number }>[] = [];
        const inFlight = new Set<Promise<unknown>>();
        const upload = async (body: Buffer) => {
          const PartNumber = parts.length + 1;
          const sent = client.send(new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId, PartNumber, Body: body })).then(({ ETag }) => ({ ETag, PartNumber }));
          parts.push(sent);
          inFlight.add(sent);
          void sent.finally(() => inFlight.delete(sent)).catch(() => undefined);
          if (inFlight.size >= 4) await Promise.race(inFlight);
        };
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        try {
          for await (const chunk of dump.stdout as AsyncIterable<Buffer>) {
            pending.push(chunk);
            pendingBytes += chunk.length;
            if (pendingBytes >= 16 * 2 ** 20) {
              await upload(Buffer.concat(pending));
              pending = [];
              pendingBytes = 0;
            }
          }
          if (pendingBytes > 0 || parts.length === 0) await upload(Buffer.concat(pending));
        } catch (error) {
          dump.kill();
          throw error;
        }
        const code = await exited;
        if (code !== 0) throw new Error(`pg_dump exited with ${code}`);
        await client.send(new CompleteMultipartUploadCommand({ Bucket: s3.bucket, Key: key, UploadId, MultipartUpload: { Parts: await Promise.all(parts) } }));
      })
    ).seconds;
  } finally {
    client.destroy();
  }
}

/**
 * The same script's restore: download the dump to a file (`pg_restore --jobs` needs one it can
 * seek in), then `createdb` + `pg_restore --jobs N` of it, as Lifeboat's restore runs it.
 */
export async function rawRestoreFromS3(source: string, s3: TestS3Server, file: string, database: string): Promise<number> {
  const client = rawS3Client(s3);
  try {
    await settle();
    return (
      await timed(async () => {
        const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: rawKey(source) }));
        await pipeline(object.Body as Readable, createWriteStream(file));
        await execute('createdb', [database], { env: pgEnv });
        await execute('pg_restore', ['--no-owner', '--jobs', String(restoreJobs), '-d', database, file], { env: pgEnv });
      })
    ).seconds;
  } finally {
    client.destroy();
    await rm(file, { force: true });
  }
}

export async function removeRawDump(source: string, s3: TestS3Server): Promise<void> {
  const client = rawS3Client(s3);
  await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: rawKey(source) })).finally(() => client.destroy());
}

/** `createdb` + `pg_restore --jobs N` of `file`, as Lifeboat's restore runs it: the baseline of a restore. */
export async function rawRestore(file: string, database: string): Promise<number> {
  await settle();
  return (
    await timed(async () => {
      await execute('createdb', [database], { env: pgEnv });
      await execute('pg_restore', ['--no-owner', '--jobs', String(restoreJobs), '-d', database, file], { env: pgEnv });
    })
  ).seconds;
}

export const dropDatabase = (database: string) => adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);

/** A backup from its request until the API says it `succeeded`, and its agent's peak RSS. */
export async function lifeboatBackup(topology: Topology, serviceId: string, database: string): Promise<{ seconds: number; rssMiB: number; backupId: string }> {
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

/** A restore into a new database from its request until it `succeeded`, and its agent's peak RSS. */
export async function lifeboatRestore(topology: Topology, backupId: string, database: string): Promise<{ seconds: number; rssMiB: number }> {
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

/** Deletes a measured backup, so that only the one being measured takes space in the store. */
export async function deleteBackup(topology: Topology, backupId: string): Promise<void> {
  const deleted = await topology.api('DELETE', `/v1/backups/${backupId}`);
  if (deleted.status >= 300) throw new Error(`delete answered ${deleted.status}: ${JSON.stringify(deleted.body)}`);
}
