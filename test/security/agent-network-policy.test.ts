import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkPolicyFor } from '../../src/network-policy/network-policy.js';
import { freePort } from '../support/password-postgres.js';
import { createTestDatabase, postgresPort, postgresUser, type TestDatabase } from '../support/postgres.js';

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '../../bin/lifeboat.js');

/**
 * The agent checks the operator's network policy itself, on the address its host resolves to
 * when the job runs: a service registered while its name pointed elsewhere (or a command from
 * before the policy) cannot reach loopback or the platform. The refusal reads the same whether
 * anything listens there, and nothing is connected to.
 */
describe("the agent keeps to the operator's network policy at connect time", () => {
  let source: TestDatabase;
  let work: string;
  const splitPolicy = networkPolicyFor('orchestrator', undefined, [{ host: '127.0.0.1', port: postgresPort }]);

  beforeAll(async () => {
    source = await createTestDatabase('agent_policy');
    await source.query('CREATE TABLE t (id int)');
    work = await mkdtemp(join(tmpdir(), 'lifeboat-agent-policy-'));
  });
  afterAll(async () => {
    await source?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function agent(kind: 'backup' | 'restore', connection: { host: string; port: number }, policy = splitPolicy) {
    const base = { connection: { ...connection, database: source.name, user: postgresUser }, networkPolicy: policy };
    const job =
      kind === 'backup'
        ? { kind, jobId: 'job_p', backupId: 'bkp_p', projectId: 'prj_p', serviceId: 'svc_p', engine: 'postgresql', artifactPrefix: 'p/', ...base }
        : { kind, jobId: 'job_p', restoreId: 'rst_p', artifact: { key: 'p/backup.dump', sizeBytes: 0, sha256: '0'.repeat(64) }, target: { kind: 'in_place' }, ...base };
    const outcome = await run(process.execPath, [cli, 'agent', kind], {
      env: { PATH: process.env.PATH ?? '', LIFEBOAT_JOB: JSON.stringify(job), LIFEBOAT_STORAGE_URL: pathToFileURL(join(work, 'store')).href },
    }).catch((error: { stdout: string }) => error);
    return JSON.parse(outcome.stdout.trim().split('\n').at(-1)!) as { outcome: string; failure?: { code: string; message: string } };
  }

  it('refuses a name that resolves to loopback, and an address given as such, with one message whatever the port', async () => {
    const open = await agent('backup', { host: 'localhost', port: postgresPort });
    const closed = await agent('backup', { host: 'localhost', port: await freePort() });
    expect(open).toMatchObject({ outcome: 'failed', failure: { code: 'target_not_allowed' } });
    expect(closed.failure).toEqual(open.failure);
    expect(await agent('restore', { host: '127.0.0.1', port: postgresPort })).toMatchObject({ outcome: 'failed', failure: { code: 'target_not_allowed' } });
    expect(await agent('backup', { host: '::ffff:127.0.0.1', port: postgresPort })).toMatchObject({ outcome: 'failed', failure: { code: 'target_not_allowed' } });
    // Nothing of the source was touched, and nothing was written.
    expect((await source.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'lifeboat-%'")).rows[0].n).toBe(0);
  });

  it('backs up the same target when the operator allows its network', async () => {
    const allowed = networkPolicyFor('orchestrator', '127.0.0.1/32', [{ host: '127.0.0.1', port: postgresPort }]);
    expect(await agent('backup', { host: '127.0.0.1', port: postgresPort }, allowed)).toMatchObject({ outcome: 'succeeded' });
  });
});
