import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { apiClient, waitForBackup } from '../support/lifeboat-process.js';
import { checkInvariants, type KillSwitchWindow } from './invariants.js';
import { adminToken, deadlineSeconds, orphanBoundMs, secretKey, startTopology, type Topology } from './topology.js';
import { type FaultKind, planChaos } from './workload.js';

const run = promisify(execFile);

export interface ChaosReport {
  seed: number;
  seconds: number;
  faults: Record<string, number>;
  actions: Record<string, number>;
  backups: Record<string, number>;
  restores: Record<string, number>;
  /** How the backups requested once the weather cleared ended: every one should succeed. */
  recovery: Record<string, number>;
  violations: string[];
}

/**
 * One chaos run: a steady workload (backups, cancels, deletes, restores, schedule ticks, the
 * kill switch) against the split topology while faults are injected at random, then the
 * invariants are checked. The seed decides every choice before the run starts (planChaos), so
 * a failing run replays with the same actions and faults at the same moments.
 */
export async function runChaos(options: { seed: number; seconds: number; log?: (line: string) => void; /** Writes every process's output here after the run. */ logFile?: string }): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const work = await mkdtemp(join(tmpdir(), 'lifeboat-chaos-'));
  const topology = await startTopology(work);
  const report: ChaosReport = { seed: options.seed, seconds: options.seconds, faults: {}, actions: {}, backups: {}, restores: {}, recovery: {}, violations: [] };
  const count = (table: Record<string, number>, key: string) => (table[key] = (table[key] ?? 0) + 1);
  const servicePassword = topology.postgres.password;
  try {
    const sources = ['chaos_a', 'chaos_b', 'chaos_c'];
    // Restores into new databases need it.
    await run('psql', [topology.postgres.superuserUrl('postgres'), '-qc', `ALTER USER ${topology.postgres.user} CREATEDB`]);
    for (const name of sources) {
      await run('psql', [topology.postgres.superuserUrl('postgres'), '-qc', `CREATE DATABASE ${name} OWNER ${topology.postgres.user}`]);
      await run('psql', [
        `postgres://${topology.postgres.user}:${servicePassword}@127.0.0.1:${topology.postgres.port}/${name}`,
        '-qc',
        `CREATE TABLE items (id serial PRIMARY KEY, body text); INSERT INTO items (body) SELECT md5(g::text) FROM generate_series(1, 20000) g`,
      ]);
    }
    const apis = () => topology.processes.filter((entry) => entry.role === 'api').map((entry) => entry.current.url);
    const admin = apiClient(apis()[0]!, adminToken);
    const projectId = (await admin('POST', '/v1/projects', { name: 'chaos' })).body.id as string;
    const token = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token as string;
    const services: string[] = [];
    for (let i = 0; i < 6; i++) {
      const created = await admin('POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
        name: `svc-${i}`,
        engine: 'postgresql',
        connection: { host: '127.0.0.1', port: topology.postgres.port, database: sources[i % sources.length], user: topology.postgres.user, password: servicePassword },
      });
      services.push(created.body.id);
    }
    // A refused call (the replica is down) is part of the weather.
    const call = async (api: number, method: string, path: string, body?: unknown) => {
      try {
        return await apiClient(apis()[api]!, path.includes('kill-switch') ? adminToken : token)(method, path, body);
      } catch {
        return { status: 0, body: null };
      }
    };

    const killSwitch: KillSwitchWindow[] = [];
    let engagedAt: number | undefined;
    let restoreCounter = 0;
    const pendingRecoveries: Promise<void>[] = [];
    const plan = planChaos(options.seed, { seconds: options.seconds, services: services.length, apis: apis().length, processes: topology.processes.length });
    log(`chaos run: seed ${options.seed}, ${options.seconds} s, ${plan.length} planned steps and faults`);
    const startedAt = Date.now();

    for (const item of plan) {
      const wait = startedAt + item.atMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (item.type === 'fault') {
        count(report.faults, item.kind);
        log(`${((Date.now() - startedAt) / 1000).toFixed(1)} s fault: ${item.kind}${item.kind === 'killProcess' ? ` ${topology.processes[item.process]!.role}-${topology.processes[item.process]!.index}` : ''}`);
        await injectFault(topology, item.kind, item.process, pendingRecoveries, log);
        continue;
      }
      const { action, api } = item;
      count(report.actions, action);
      const serviceId = services[item.service]!;
      if (action === 'backup') await call(api, 'POST', `/v1/services/${serviceId}/backups`);
      if (action === 'cancel' || action === 'delete' || action === 'restore') {
        const list = await call(api, 'GET', `/v1/services/${serviceId}/backups?limit=5`);
        const backups = (list.body?.backups ?? []) as { id: string; status: string }[];
        const running = backups.find((backup) => ['requested', 'queued', 'running'].includes(backup.status));
        const done = backups.find((backup) => backup.status === 'succeeded');
        if (action === 'cancel' && running) await call(api, 'POST', `/v1/backups/${running.id}/cancel`);
        if (action === 'delete' && done) await call(api, 'DELETE', `/v1/backups/${done.id}`);
        if (action === 'restore' && done) await call(api, 'POST', `/v1/backups/${done.id}/restores`, { target: { kind: 'new_database', database: `chaos_restore_${++restoreCounter}` } });
      }
      if (action === 'schedule') await call(api, 'PUT', `/v1/services/${serviceId}/schedule`, { cron: '* * * * *', timezone: 'UTC', retention: { keepLast: 3 } });
      if (action === 'killSwitch') {
        if (engagedAt === undefined) {
          const engaged = await call(api, 'PUT', '/v1/admin/kill-switch', { engaged: true, reason: 'chaos' });
          if (engaged.status === 200) {
            engagedAt = Date.now();
            log(`${((engagedAt - startedAt) / 1000).toFixed(1)} s kill switch engaged`);
          }
        } else {
          // Released before the engage is recorded as a window, so the window is the true span.
          const releasing = Date.now();
          const released = await call(api, 'PUT', '/v1/admin/kill-switch', { engaged: false });
          if (released.status === 200) {
            killSwitch.push({ engagedAt, releasedAt: releasing });
            engagedAt = undefined;
            log(`${((releasing - startedAt) / 1000).toFixed(1)} s kill switch released`);
          }
        }
      }
    }

    // Calm: every fault lifted, every process up, the kill switch released.
    topology.proxy.setMode('pass');
    await topology.setDumpMode('ok');
    await Promise.all(pendingRecoveries);
    // A process the run did not kill must still be running: a fault it only saw (a database
    // restart, storage going away) must not end it. One that ended is a violation, and is
    // started again so that the checks below still measure the rest.
    const crashViolations: string[] = [];
    for (const [index, entry] of topology.processes.entries()) {
      const { exitCode, signalCode } = entry.current.child;
      if (exitCode === null && signalCode === null) continue;
      const lastLines = entry.current.output().trim().split('\n').slice(-3).join(' / ').slice(0, 600);
      crashViolations.push(`${entry.role}-${entry.index} ended on its own (${signalCode ?? `exit code ${exitCode}`}): ${lastLines}`);
      log(`${entry.role}-${entry.index} ended on its own; starting it again`);
      await topology.restart(index, 'SIGKILL');
    }
    // Released whatever the run believes: an engage whose answer was lost (its replica killed
    // mid-call) may have taken effect all the same.
    const releasing = Date.now();
    await releaseKillSwitch(apis(), log);
    if (engagedAt !== undefined) killSwitch.push({ engagedAt, releasedAt: releasing });
    await settle(topology, (deadlineSeconds + 30) * 1000, log);
    // Whatever the run did, a service must be backed up again once the faults are gone. This
    // also makes the run's "did real work" check independent of how loaded the machine was.
    const recoveryViolations: string[] = [];
    const recovered = await Promise.all(services.map((serviceId) => backUpAfterCalm(apiClient(apis()[0]!, token), serviceId)));
    for (const [i, outcome] of recovered.entries()) {
      count(report.recovery, outcome.status);
      if (outcome.status !== 'succeeded') recoveryViolations.push(`after the faults ended, a backup of svc-${i} ${outcome.status}: ${outcome.detail}`);
    }
    log(`after the calm: ${Object.entries(report.recovery).map(([outcome, n]) => `${n} ${outcome}`).join(', ')}`);

    const s3 = new S3Client({ endpoint: topology.s3.endpoint, region: topology.s3.region, forcePathStyle: true, credentials: { accessKeyId: topology.s3.accessKeyId, secretAccessKey: topology.s3.secretAccessKey } });
    try {
      report.violations = await checkInvariants({
        databaseUrl: topology.env.LIFEBOAT_DATABASE_URL!,
        s3,
        bucket: topology.s3.bucket,
        killSwitch,
        output: topology.output(),
        secrets: [servicePassword, secretKey, topology.postgres.superuser.password],
        orphanBoundMs,
      });
      report.violations.push(...crashViolations, ...recoveryViolations);
    } finally {
      s3.destroy();
    }
    const tally = await run('psql', [topology.env.LIFEBOAT_DATABASE_URL!, '-Atc', `SELECT 'b', status, count(*) FROM control.backups GROUP BY 2 UNION ALL SELECT 'r', status, count(*) FROM control.restores GROUP BY 2`]);
    for (const line of tally.stdout.trim().split('\n').filter(Boolean)) {
      const [kind, status, n] = line.split('|');
      (kind === 'b' ? report.backups : report.restores)[status!] = Number(n);
    }
    return report;
  } finally {
    if (options.logFile) await writeFile(options.logFile, topology.output());
    await topology.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** Injects one fault; faults that lift by themselves do so after 3 s, a killed process is restarted at once. */
async function injectFault(topology: Topology, kind: FaultKind, process: number, pendingRecoveries: Promise<void>[], log: (line: string) => void): Promise<void> {
  if (kind === 'killProcess') pendingRecoveries.push(topology.restart(process, 'SIGKILL').catch((error: unknown) => log(`restart failed: ${String(error)}`)));
  if (kind === 'natsRestart') await topology.nats.restart({ downForMs: 1000 });
  if (kind === 'postgresRestart') await topology.postgres.restart({ downForMs: 1000 });
  if (kind === 'storageRefuse' || kind === 'storageStall') {
    topology.proxy.setMode(kind === 'storageRefuse' ? 'refuse' : 'stall');
    setTimeout(() => topology.proxy.setMode('pass'), 3000);
  }
  if (kind === 'dumpHang' || kind === 'dumpDie') {
    await topology.setDumpMode(kind === 'dumpHang' ? 'hang' : 'die');
    setTimeout(() => void topology.setDumpMode('ok'), 3000);
  }
}

async function releaseKillSwitch(apis: string[], log: (line: string) => void): Promise<void> {
  const until = Date.now() + 30_000;
  for (let attempt = 0; Date.now() < until; attempt++) {
    const released = await apiClient(apis[attempt % apis.length]!, adminToken)('PUT', '/v1/admin/kill-switch', { engaged: false }).catch(() => ({ status: 0 }));
    if (released.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  log('the kill switch could not be released after the run');
}

/**
 * One backup of a service after the calm, to its end. A scheduled backup may be running at
 * that moment (the workload set per-minute schedules): then it is waited for and asked again.
 */
async function backUpAfterCalm(request: ReturnType<typeof apiClient>, serviceId: string): Promise<{ status: string; detail: string }> {
  const until = Date.now() + 90_000;
  let last = '';
  while (Date.now() < until) {
    const asked = await request('POST', `/v1/services/${serviceId}/backups`).catch((error: unknown) => ({ status: 0, body: String(error) }));
    if (asked.status === 202) {
      try {
        const ended = await waitForBackup(request, asked.body.id as string, until - Date.now());
        return { status: ended.status as string, detail: `${asked.body.id as string} ${JSON.stringify(ended.failure ?? null)}` };
      } catch (error) {
        return { status: 'not ended', detail: String(error) };
      }
    }
    last = `${asked.status} ${JSON.stringify(asked.body)}`;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return { status: 'not requested', detail: `the last answer was ${last}` };
}

/** Waits until nothing is in progress, or the deadline (plus grace) has certainly passed. */
async function settle(topology: Topology, limitMs: number, log: (line: string) => void): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    const { stdout } = await run('psql', [
      topology.env.LIFEBOAT_DATABASE_URL!,
      '-Atc',
      `SELECT (SELECT count(*) FROM control.backups WHERE status IN ('requested','queued','running')) + (SELECT count(*) FROM control.restores WHERE status IN ('requested','queued','running'))`,
    ]).catch(() => ({ stdout: '1' }));
    if (stdout.trim() === '0' || Date.now() > until) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  log('settled');
}

export function formatReport(report: ChaosReport): string {
  const table = (title: string, values: Record<string, number>) => `| ${title} | ${Object.entries(values).map(([key, n]) => `${key} ${n}`).join(', ') || '—'} |`;
  return [
    `| seed | ${report.seed} |`,
    '|---|---|',
    `| seconds | ${report.seconds} |`,
    table('faults injected', report.faults),
    table('workload actions', report.actions),
    table('backups', report.backups),
    table('restores', report.restores),
    table('backups after the calm', report.recovery),
    `| invariant violations | ${report.violations.length} |`,
    ...report.violations.map((violation) => `| violation | ${violation} |`),
  ].join('\n');
}

/** One line per run and a total: what `npm run chaos` prints last, and RELIABILITY.md records. */
export function formatSummary(reports: readonly ChaosReport[]): string {
  const sum = (tables: Record<string, number>[]) => {
    const total: Record<string, number> = {};
    for (const table of tables) for (const [key, n] of Object.entries(table)) total[key] = (total[key] ?? 0) + n;
    return total;
  };
  const kinds = (table: Record<string, number>) => Object.entries(table).sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `${key} ${n}`).join(', ') || '—';
  const row = (label: string, seconds: number, faults: Record<string, number>, backups: Record<string, number>, violations: number) =>
    `| ${label} | ${seconds} | ${Object.values(faults).reduce((a, b) => a + b, 0)}: ${kinds(faults)} | ${backups.succeeded ?? 0} of ${Object.values(backups).reduce((a, b) => a + b, 0)} | ${violations} |`;
  return [
    '| run (seed) | seconds | faults injected | backups succeeded | invariant violations |',
    '|---|---|---|---|---|',
    ...reports.map((report) => row(String(report.seed), report.seconds, report.faults, report.backups, report.violations.length)),
    row(`all ${reports.length}`, reports.reduce((a, report) => a + report.seconds, 0), sum(reports.map((report) => report.faults)), sum(reports.map((report) => report.backups)), reports.reduce((a, report) => a + report.violations.length, 0)),
  ].join('\n');
}
