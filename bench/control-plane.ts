/**
 * Control-plane throughput: sustained create-backup requests against `lifeboat api` on a
 * PostgreSQL platform database with NATS, against the raw rate of the same two INSERTs (backup
 * row and outbox row, one transaction) issued directly through `pg`, in the same run.
 *
 *   npx tsx bench/control-plane.ts [--requests 2000] [--concurrency 32] [--runs 5] [--apis 1]
 *
 * Each request backs up a service of its own, so no request meets a backup in progress and no
 * job runner is needed: only the control plane is measured. Outbox lag is the time from a
 * command's commit to the bus accepting it. With `--apis 2`, requests alternate between two
 * replicas (the API is stateless; a platform scales it out). Also the CPU time each process
 * spends per request — the API, PostgreSQL, NATS and the bench itself share the two cores.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { apiClient, type LifeboatProcess, startLifeboat } from '../test/support/lifeboat-process.js';
import { startNatsServer } from '../test/support/nats-server.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { cpuMeter, inParallel, medianWithRange as summary, percentile, processesNamed, progress } from './figures.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '32' }, runs: { type: 'string', default: '5' }, apis: { type: 'string', default: '1' } } });
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const runs = Number(values.runs);
const adminToken = 'lba_bench-admin-token-0123456789abcdef';

const platform = await createTestDatabase('bench_control');
const nats = await startNatsServer();
const work = await mkdtemp(join(tmpdir(), 'lifeboat-bench-cp-'));
const replicas = Number(values.apis);
const startApi = (index: number) => startLifeboat('api', {
  LIFEBOAT_DATA_DIR: join(work, `api-${index}`),
  LIFEBOAT_DATABASE_URL: platform.url,
  LIFEBOAT_BUS_URL: nats.url,
  LIFEBOAT_STORAGE_URL: `file://${join(work, 'artifacts')}`,
  LIFEBOAT_SECRET_KEY: 'bench secret key, long enough for the config 0123456789',
  LIFEBOAT_ADMIN_TOKEN: adminToken,
  LIFEBOAT_LOG_LEVEL: 'warn',
});
const apis: LifeboatProcess[] = [];
for (let index = 0; index < replicas; index++) apis.push(await startApi(index));
const results = {
  apiRate: [] as number[], rawRate: [] as number[], ratio: [] as number[], p50: [] as number[], p99: [] as number[], lag50: [] as number[], lag99: [] as number[],
  apiCpu: [] as number[], postgresCpu: [] as number[], natsCpu: [] as number[], clientCpu: [] as number[], rawPostgresCpu: [] as number[], rawClientCpu: [] as number[],
};
const meterGroups = {
  api: async () => apis.map((api) => api.child.pid!),
  postgres: () => processesNamed('postgres'),
  nats: () => processesNamed('nats-server'),
  client: async () => [process.pid],
};
/** CPU milliseconds per request. */
const perRequest = (seconds: number) => (seconds * 1000) / requests;
const raw = new pg.Pool({ connectionString: platform.url, max: concurrency });
try {
  const admin = apiClient(apis[0]!.url, adminToken);
  const clients = apis.map((api) => keepAliveClient(api.url, adminToken));
  let turn = 0;
  for (let runIndex = 0; runIndex < runs; runIndex++) {
    const projectId = (await admin('POST', '/v1/projects', { name: `bench-${runIndex}` })).body.id as string;
    const services: string[] = [];
    // An address (TEST-NET-1) rather than a name: `lifeboat api` resolves a name before accepting it, and nothing here connects.
    await inParallel(Array.from({ length: requests }, (_, i) => i), 16, async (i) => {
      const created = await admin('POST', `/v1/projects/${projectId}/services`, { name: `s-${i}`, engine: 'postgresql', connection: { host: '192.0.2.10', database: 'd', user: 'u', password: 'p' } });
      services.push(created.body.id as string);
    });

    // Lifeboat: POST /v1/services/:id/backups, `concurrency` at a time.
    const latencies: number[] = [];
    const apiMeter = await cpuMeter(meterGroups);
    const started = performance.now();
    await inParallel(services, concurrency, async (serviceId) => {
      const t = performance.now();
      const response = await clients[turn++ % clients.length]!('POST', `/v1/services/${serviceId}/backups`);
      if (response.status !== 202) throw new Error(`create answered ${response.status}`);
      latencies.push(performance.now() - t);
    });
    const apiSeconds = (performance.now() - started) / 1000;
    const apiUsed = await apiMeter.stop();

    // Baseline: the same two rows, one transaction each, straight through pg.
    const rawMeter = await cpuMeter(meterGroups);
    const rawStarted = performance.now();
    await inParallel(services, concurrency, async (serviceId) => {
      const client = await raw.connect();
      try {
        const id = `bkp_raw${randomUUID().replace(/-/g, '').slice(0, 12)}`;
        await client.query('BEGIN');
        await client.query(`INSERT INTO control.backups (id, project_id, service_id, status, trigger, requested_by) VALUES ($1, $2, $3, 'failed', 'manual', 'bench')`, [id, projectId, serviceId]);
        await client.query(`INSERT INTO control.outbox (id, type, subject, message, published_at) VALUES ($1, 'bench.raw', 'bench.raw', '{}', now())`, [randomUUID()]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    const rawSeconds = (performance.now() - rawStarted) / 1000;
    const rawUsed = await rawMeter.stop();

    // Outbox lag of this run's commands, once all are published.
    for (;;) {
      const { rows } = await raw.query(`SELECT count(*)::int AS n FROM control.outbox WHERE type = 'backup.requested' AND published_at IS NULL`);
      if (rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const lag = await raw.query(
      `SELECT extract(epoch FROM published_at - created_at) * 1000 AS ms FROM control.outbox o JOIN control.backups b ON b.id = o.message->'payload'->>'backupId' WHERE o.type = 'backup.requested' AND b.project_id = $1 ORDER BY 1`,
      [projectId],
    );
    const lags = lag.rows.map((row: { ms: string }) => Number(row.ms));
    latencies.sort((a, b) => a - b);
    results.apiRate.push(requests / apiSeconds);
    results.rawRate.push(requests / rawSeconds);
    results.ratio.push(requests / apiSeconds / (requests / rawSeconds));
    results.p50.push(percentile(latencies, 50));
    results.p99.push(percentile(latencies, 99));
    results.lag50.push(percentile(lags, 50));
    results.lag99.push(percentile(lags, 99));
    results.apiCpu.push(perRequest(apiUsed.api));
    results.postgresCpu.push(perRequest(apiUsed.postgres));
    results.natsCpu.push(perRequest(apiUsed.nats));
    results.clientCpu.push(perRequest(apiUsed.client));
    results.rawPostgresCpu.push(perRequest(rawUsed.postgres));
    results.rawClientCpu.push(perRequest(rawUsed.client));
    progress(`run ${runIndex + 1}: ${(requests / apiSeconds).toFixed(0)} req/s vs ${(requests / rawSeconds).toFixed(0)} tx/s`);
  }
} finally {
  await raw.end();
  await Promise.all(apis.map((api) => api.stop()));
  await nats.stop();
  await platform.drop();
  await rm(work, { recursive: true, force: true });
}
process.stdout.write(
  [
    `${runs} runs of ${requests} requests at concurrency ${concurrency} against ${replicas} API replica${replicas === 1 ? '' : 's'}; median (min–max)`,
    '| Lifeboat create (req/s) | raw two-INSERT transaction (tx/s) | ratio | p50 latency (ms) | p99 latency (ms) | outbox lag p50 (ms) | outbox lag p99 (ms) |',
    '|---|---|---|---|---|---|---|',
    `| ${summary(results.apiRate)} | ${summary(results.rawRate)} | ${summary(results.ratio, 2)} | ${summary(results.p50, 1)} | ${summary(results.p99, 1)} | ${summary(results.lag50, 1)} | ${summary(results.lag99, 1)} |`,
    '',
    'CPU milliseconds per request (Lifeboat) or transaction (raw), all processes of each kind:',
    '| | API | PostgreSQL | NATS | bench client |',
    '|---|---|---|---|---|',
    `| Lifeboat create | ${summary(results.apiCpu, 2)} | ${summary(results.postgresCpu, 2)} | ${summary(results.natsCpu, 2)} | ${summary(results.clientCpu, 2)} |`,
    `| raw two-INSERT transaction | | ${summary(results.rawPostgresCpu, 2)} | | ${summary(results.rawClientCpu, 2)} |`,
  ].join('\n') + '\n',
);

/**
 * The load generator: plain HTTP/1.1 over kept-alive sockets. It shares the cores with what it
 * measures, so it must cost little (fetch costs several times more CPU per request).
 */
function keepAliveClient(baseUrl: string, token: string) {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  return (method: string, path: string) =>
    new Promise<{ status: number }>((resolve, reject) => {
      const request = httpRequest({ host: hostname, port, method, path, agent, headers: { authorization: `Bearer ${token}` } }, (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0 })).on('error', reject);
      });
      request.on('error', reject).end();
    });
}
