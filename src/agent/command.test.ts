import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../../test/support/postgres.js';
import { agentProgress, agentReport, artifactPrefixOf } from '../contracts/index.js';
import { runAgentBackupCommand, runStandbyAgent } from './command.js';

/** `lifeboat agent backup` as the runner sees it: environment in, progress and one report line out. */
describe('agent backup command', () => {
  let source: TestDatabase;
  let storage: string;
  beforeAll(async () => {
    source = await createTestDatabase('agent_command');
    await seedSampleData(source, 1000);
    storage = await mkdtemp(join(tmpdir(), 'lifeboat-agent-cmd-'));
  });
  afterAll(async () => {
    await source?.drop();
    await rm(storage, { recursive: true, force: true });
  });

  async function invoke(env: Record<string, string | undefined>) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: string[] = [];
    const err: string[] = [];
    stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
    stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
    const code = await runAgentBackupCommand({ PATH: process.env.PATH, ...env }, { stdin: new PassThrough(), stdout, stderr });
    const lines = out.join('').trim().split('\n');
    return { code, lines, report: agentReport.parse(JSON.parse(lines.at(-1) ?? '')), log: err.join('') };
  }

  const job = () => ({
    kind: 'backup',
    jobId: 'job_cmd',
    backupId: 'bkp_cmd',
    projectId: 'prj_cmd',
    serviceId: 'svc_cmd',
    engine: 'postgresql',
    connection: { host: postgresHost, port: postgresPort, database: source.name, user: postgresUser },
    artifactPrefix: artifactPrefixOf({ projectId: 'prj_cmd', serviceId: 'svc_cmd', backupId: 'bkp_cmd' }),
  });

  it('backs up and ends its output with the report; every other line is progress', async () => {
    const { code, lines, report, log } = await invoke({ LIFEBOAT_JOB: JSON.stringify(job()), LIFEBOAT_STORAGE_URL: pathToFileURL(storage).href, LIFEBOAT_DATABASE_PASSWORD: 'never-printed' });
    expect(code).toBe(0);
    expect(report.outcome).toBe('succeeded');
    for (const line of lines.slice(0, -1)) expect(agentProgress.safeParse(JSON.parse(line)).success).toBe(true);
    expect(log).toContain('job finished');
    expect(log + lines.join('')).not.toContain('never-printed');
  });

  it('reports invalid_command for a missing or malformed job, and exits 1', async () => {
    for (const env of [{}, { LIFEBOAT_JOB: '{"kind":"backup"}', LIFEBOAT_STORAGE_URL: 'file:///tmp' }, { LIFEBOAT_JOB: JSON.stringify(job()) }]) {
      const { code, report } = await invoke(env);
      expect(code).toBe(1);
      expect(report.outcome === 'failed' && report.failure.code).toBe('invalid_command');
    }
  });

  it('exits 1 with the failure when the backup fails', async () => {
    const { code, report } = await invoke({
      LIFEBOAT_JOB: JSON.stringify({ ...job(), connection: { ...job().connection, database: 'missing_db' } }),
      LIFEBOAT_STORAGE_URL: pathToFileURL(storage).href,
    });
    expect(code).toBe(1);
    expect(report.outcome === 'failed' && report.failure.code).toBe('database_not_found');
  });

  describe('on standby', () => {
    async function standby(input: string | undefined, env: Record<string, string | undefined> = {}) {
      const stdin = new PassThrough();
      const stdout = new PassThrough();
      const out: string[] = [];
      stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
      const running = runStandbyAgent({ PATH: process.env.PATH, ...env }, { stdin, stdout, stderr: new PassThrough() });
      // Written in two pieces: a job may arrive in several chunks.
      if (input !== undefined) {
        stdin.write(input.slice(0, 7));
        setTimeout(() => stdin.write(input.slice(7)), 20);
      } else {
        stdin.end();
      }
      const code = await running;
      return { code, lines: out.join('').trim().split('\n').filter((line) => line !== '') };
    }

    it('runs the job that arrives on stdin with its environment on top of its own', async () => {
      const assignment = { args: ['agent', 'backup'], env: { LIFEBOAT_JOB: JSON.stringify(job()), LIFEBOAT_STORAGE_URL: pathToFileURL(storage).href, LIFEBOAT_DATABASE_PASSWORD: 'never-printed' } };
      const { code, lines } = await standby(`${JSON.stringify(assignment)}\n`, { LIFEBOAT_STORAGE_URL: pathToFileURL(storage).href });
      expect(code).toBe(0);
      expect(agentReport.parse(JSON.parse(lines.at(-1) ?? '')).outcome).toBe('succeeded');
      expect(lines.join('')).not.toContain('never-printed');
    });

    it('reports invalid_command for a job that is not one, and exits 1', async () => {
      for (const input of ['not json\n', '{"args":["serve"],"env":{}}\n', '{"args":["agent","backup"],"env":{"A":1}}\n']) {
        const { code, lines } = await standby(input);
        expect(code).toBe(1);
        const report = agentReport.parse(JSON.parse(lines.at(-1) ?? ''));
        expect(report.outcome === 'failed' && report.failure.code).toBe('invalid_command');
      }
    });

    it('exits quietly when its orchestrator goes away before giving it a job', async () => {
      expect(await standby(undefined)).toEqual({ code: 0, lines: [] });
    });
  });
});
