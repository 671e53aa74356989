import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../../test/support/postgres.js';
import { agentReport, artifactPrefixOf, type BackupJobSpec } from '../contracts/index.js';
import type { JobLaunch } from './job-runner.js';
import { LocalRunner } from './local.js';

const cli = [process.execPath, resolve('dist/cli/main.js')];
const logger = pino({ level: 'silent' });

/** This process's children started as `agent standby`, by pid. */
async function standbyChildren(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const command = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      if (parent === process.pid && command.includes('agent') && command.includes('standby')) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const pidOf = (handle: string) => Number(handle.split(':')[2]);

/** The local runner with the real CLI: agents started ahead of their jobs, jobs handed over on stdin. */
describe.skipIf(process.platform !== 'linux')('local runner', () => {
  let source: TestDatabase;
  let storage: string;
  let silentServer: Server;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    source = await createTestDatabase('local_runner');
    await seedSampleData(source, 200);
    storage = await mkdtemp(join(tmpdir(), 'lifeboat-runner-test-'));
    // Accepts connections and never answers: an agent connecting to it waits, so it can be looked at.
    silentServer = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silentServer.close(resolve));
    await source?.drop();
    await rm(storage, { recursive: true, force: true });
  });

  const backupJob = (port: number, password: string): JobLaunch => {
    const ids = { projectId: 'prj_run', serviceId: 'svc_run', backupId: `bkp_${port}` };
    const spec: BackupJobSpec = {
      kind: 'backup',
      jobId: `job_${port}`,
      engine: 'postgresql',
      connection: { host: postgresHost, port, database: port === postgresPort ? source.name : 'anything', user: postgresUser },
      artifactPrefix: artifactPrefixOf(ids),
      lockWaitTimeoutSeconds: 300,
      ...ids,
    };
    return {
      jobId: spec.jobId,
      args: ['agent', 'backup'],
      env: { LIFEBOAT_JOB: JSON.stringify(spec), LIFEBOAT_STORAGE_URL: pathToFileURL(storage).href },
      secretEnv: { LIFEBOAT_DATABASE_PASSWORD: password },
      deadlineMs: 60_000,
    };
  };
  const silentPort = () => (silentServer.address() as { port: number }).port;

  it('hands a job to the agent it started ahead, then starts the next one when the job ends', async () => {
    const runner = new LocalRunner({ command: cli, inheritedEnv: { PATH: process.env.PATH ?? '' }, logger, standby: { storageUrl: pathToFileURL(storage).href } });
    runner.start();
    try {
      const [spare] = await eventually(standbyChildren, (pids) => pids.length === 1);
      expect(spare).toBeDefined();
      const job = await runner.launch(backupJob(postgresPort, 'unused-with-trust-auth'));
      expect(pidOf(job.handle)).toBe(spare);
      const exit = await job.exited;
      expect(exit.exitCode).toBe(0);
      expect(agentReport.parse(JSON.parse(exit.report ?? '')).outcome).toBe('succeeded');
      const next = await eventually(standbyChildren, (pids) => pids.length === 1 && pids[0] !== spare);
      expect(next).toHaveLength(1);
      expect(next[0]).not.toBe(spare);
    } finally {
      await runner.stop();
    }
    expect(await eventually(standbyChildren, (pids) => pids.length === 0)).toEqual([]);
  });

  it('passes the job and its password through the pipe, never through the agent’s environment or arguments', async () => {
    const runner = new LocalRunner({ command: cli, inheritedEnv: { PATH: process.env.PATH ?? '' }, logger, standby: { storageUrl: pathToFileURL(storage).href }, killGraceMs: 500 });
    runner.start();
    try {
      const job = await runner.launch(backupJob(silentPort(), 'password-seen-only-in-the-pipe'));
      // Connected to the silent server: the job is running with its assignment read.
      await eventually(async () => sockets.length, (count) => count > 0);
      const pid = pidOf(job.handle);
      const environment = await readFile(`/proc/${pid}/environ`, 'utf8');
      const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      expect(environment + argv).not.toContain('password-seen-only-in-the-pipe');
      expect(environment).not.toContain('LIFEBOAT_JOB');
      await job.kill();
      const exit = await job.exited;
      expect(exit.stderrTail + (exit.report ?? '')).not.toContain('password-seen-only-in-the-pipe');
    } finally {
      await runner.stop();
    }
  });

  it('without a standby, starts each agent with its job and keeps none waiting', async () => {
    const runner = new LocalRunner({ command: cli, inheritedEnv: { PATH: process.env.PATH ?? '' }, logger });
    runner.start();
    try {
      expect(await standbyChildren()).toEqual([]);
      const exit = await (await runner.launch(backupJob(postgresPort, ''))).exited;
      expect(agentReport.parse(JSON.parse(exit.report ?? '')).outcome).toBe('succeeded');
      expect(await standbyChildren()).toEqual([]);
    } finally {
      await runner.stop();
    }
  });
});
