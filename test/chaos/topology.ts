import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { type LifeboatProcess, startLifeboat } from '../support/lifeboat-process.js';
import { startNatsServer, type TestNatsServer } from '../support/nats-server.js';
import { type PasswordPostgres, startPasswordPostgres } from '../support/password-postgres.js';
import { startS3Server, type TestS3Server } from '../support/s3-server.js';
import { defaultAckWaitMs } from '../../src/bus/event-bus.js';

export type DumpMode = 'ok' | 'hang' | 'die';

/**
 * The split topology the chaos run attacks: a private PostgreSQL cluster (so restarting it
 * disturbs no other test), NATS, an S3 server behind a fault-injecting proxy, two APIs, two
 * orchestrators, and a pg_dump whose behaviour a file switches (ok, hang, die mid-stream).
 */
export interface Topology {
  postgres: PasswordPostgres;
  nats: TestNatsServer;
  s3: TestS3Server;
  proxy: FaultProxy;
  env: Record<string, string>;
  processes: { role: 'api' | 'orchestrator'; index: number; current: LifeboatProcess }[];
  /** Everything every process ever printed, for the credential check. */
  output(): string;
  setDumpMode(mode: DumpMode): Promise<void>;
  restart(processIndex: number, signal: NodeJS.Signals): Promise<void>;
  close(): Promise<void>;
}

export const adminToken = 'lba_chaos-admin-token-0123456789abcdef';
export const secretKey = 'chaos secret key that must never be printed 0123456789';
export const deadlineSeconds = 40;
const orphanGraceSeconds = 5;
const orphanSweepSeconds = 5;
/**
 * How long files of a backup that did not succeed may outlive its record's last change: a
 * deletion held by a killed orchestrator is delivered again after the bus's ack wait;
 * otherwise the sweep removes them after its grace, on its next pass.
 */
export const orphanBoundMs = defaultAckWaitMs + (orphanGraceSeconds + orphanSweepSeconds + 5) * 1000;

export async function startTopology(work: string): Promise<Topology> {
  const [postgres, nats, s3] = await Promise.all([startPasswordPostgres(), startNatsServer(), startS3Server()]);
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: Number(new URL(s3.endpoint).port) });
  await promisify(execFile)('psql', [postgres.superuserUrl('postgres'), '-qc', 'CREATE DATABASE lifeboat']);

  const bin = join(work, 'bin');
  await mkdir(bin, { recursive: true });
  const modeFile = join(work, 'dump-mode');
  await writeFile(modeFile, 'ok');
  const real = (await promisify(execFile)('sh', ['-c', 'command -v pg_dump'])).stdout.trim();
  await writeFile(
    join(bin, 'pg_dump'),
    `#!/bin/sh\n[ "$1" = "--version" ] && exec ${real} --version\ncase "$(cat ${modeFile})" in\n  hang) sleep 3600 ;;\n  die) ${real} "$@" | head -c 20000; exit 1 ;;\n  *) exec ${real} "$@" ;;\nesac\n`,
  );
  await chmod(join(bin, 'pg_dump'), 0o755);

  const env = {
    PATH: `${bin}:${process.env.PATH}`,
    LIFEBOAT_DATABASE_URL: postgres.superuserUrl('lifeboat'),
    LIFEBOAT_BUS_URL: nats.url,
    LIFEBOAT_STORAGE_URL: `s3://${s3.bucket}/chaos?endpoint=${proxy.url}&region=${s3.region}`,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    LIFEBOAT_SECRET_KEY: secretKey,
    LIFEBOAT_ADMIN_TOKEN: adminToken,
    LIFEBOAT_JOB_DEADLINE_SECONDS: String(deadlineSeconds),
    LIFEBOAT_MAX_CONCURRENT_JOBS: '3',
    // One project here: its share is every slot of one orchestrator (the fair share has its own test).
    LIFEBOAT_MAX_CONCURRENT_JOBS_PER_PROJECT: '3',
    LIFEBOAT_ORPHAN_GRACE_SECONDS: String(orphanGraceSeconds),
    LIFEBOAT_ORPHAN_SWEEP_SECONDS: String(orphanSweepSeconds),
    LIFEBOAT_SCHEDULE_JITTER_SECONDS: '0',
    // The workload schedules backups every minute.
    LIFEBOAT_MIN_SCHEDULE_INTERVAL_SECONDS: '60',
    // The sources live on this machine's PostgreSQL, beside the platform database.
    LIFEBOAT_SERVICE_NETWORKS: '127.0.0.1/32',
  };
  let history = '';
  const restarts = new Map<object, Promise<void>>();
  const start = (role: 'api' | 'orchestrator', index: number) => startLifeboat(role, { ...env, LIFEBOAT_DATA_DIR: join(work, `${role}-${index}`) });
  const processes = await Promise.all(
    (['api', 'api', 'orchestrator', 'orchestrator'] as const).map(async (role, i) => ({ role, index: i % 2, current: await start(role, i % 2) })),
  );
  return {
    postgres,
    nats,
    s3,
    proxy,
    env,
    processes,
    output: () => history + processes.map((entry) => entry.current.output()).join('\n'),
    setDumpMode: (mode) => writeFile(modeFile, mode),
    restart(processIndex, signal) {
      const entry = processes[processIndex]!;
      // One restart of a process at a time: two overlapping ones would each start a replica and
      // leave one running, untracked, after the run.
      const restarting = (restarts.get(entry) ?? Promise.resolve()).catch(() => undefined).then(async () => {
        await entry.current.stop(signal);
        history += entry.current.output();
        // A replica that cannot start at once (its database is restarting too) tries again.
        for (let attempt = 0; ; attempt++) {
          try {
            entry.current = await start(entry.role, entry.index);
            return;
          } catch (error) {
            if (attempt >= 10) throw error;
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        }
      });
      restarts.set(entry, restarting);
      return restarting;
    },
    async close() {
      await Promise.all([...restarts.values()].map((restarting) => restarting.catch(() => undefined)));
      await Promise.all(processes.map((entry) => entry.current.stop('SIGKILL')));
      await proxy.close();
      await Promise.all([nats.stop(), s3.stop()]);
      await postgres.stop();
    },
  };
}
