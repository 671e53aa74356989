import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';
import { slowPgDump } from '../support/slow-pg-dump.js';

const cliPath = resolve(import.meta.dirname, '../../bin/lifeboat.js');

/**
 * The CLI where a person meets it: in a real pseudo-terminal (util-linux `script`), so
 * stdin and stderr are TTYs. Keystrokes are written to script's input once the prompt shows.
 */
describe('the lifeboat command line in a terminal', () => {
  let source: TestDatabase;
  let work: string;
  let lifeboat: LifeboatProcess;
  let env: Record<string, string>;
  let slow: Awaited<ReturnType<typeof slowPgDump>>;

  beforeAll(async () => {
    source = await createTestDatabase('cli_terminal');
    await seedSampleData(source, 100);
    work = await mkdtemp(join(tmpdir(), 'lifeboat-cli-tty-'));
    slow = await slowPgDump(work);
    await seedPlatformDatabase(join(work, 'data'));
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'data'), PATH: slow.path });
    const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    const projectId = (await admin('POST', '/v1/projects', { name: 'tty' })).body.id;
    const token = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token;
    env = { PATH: process.env.PATH ?? '', HOME: work, TERM: 'xterm', LIFEBOAT_URL: lifeboat.url, LIFEBOAT_TOKEN: token };
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await source?.drop();
    await rm(work, { recursive: true, force: true });
  });

  /** Runs the CLI in a pseudo-terminal; `answers` are typed, each once its prompt has appeared. */
  function inTerminal(args: string[], answers: { after: string; type: string }[] = []): Promise<{ code: number | null; output: string }> {
    const command = [process.execPath, cliPath, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
    return new Promise((done) => {
      const child = spawn('script', ['-qfec', command, '/dev/null'], { env, cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      let next = 0;
      const onOutput = (chunk: string) => {
        output += chunk;
        if (next < answers.length && output.includes(answers[next]!.after)) child.stdin.write(answers[next++]!.type);
      };
      child.stdout.setEncoding('utf8').on('data', onOutput);
      child.stderr.setEncoding('utf8').on('data', onOutput);
      child.on('close', (code) => done({ code, output }));
    });
  }
  const addArgs = (name: string) => ['services', 'add', name, '--host', postgresHost, '--port', String(postgresPort), '--database', source.name, '--user', postgresUser];
  const passwordPrompt = 'Password of the database user (not shown): ';

  it('asks for the password without echoing it, and registers the service', async () => {
    const added = await inTerminal(addArgs('shop'), [{ after: passwordPrompt, type: 'typed-secret-42\r' }]);
    expect(added.output).toContain(passwordPrompt);
    expect(added.output).not.toContain('typed-secret-42');
    expect(added.output).toMatch(/registered shop \(svc_[0-9a-z]{16}\)/);
    expect(added.code).toBe(0);
  }, 30_000);

  it('refuses an empty password typed at the prompt (exit 2), registering nothing', async () => {
    const empty = await inTerminal(addArgs('empty'), [{ after: passwordPrompt, type: '\r' }]);
    expect(empty.code).toBe(2);
    expect(empty.output).toContain('lifeboat: the password from the prompt is empty');
    const listed = await inTerminal(['services', 'list']);
    expect(listed.output).toContain('shop');
    expect(listed.output).not.toContain('empty');
  }, 30_000);

  it('--wait redraws one line with state, bytes and elapsed time', async () => {
    await slow.setDelay(3);
    const waited = await inTerminal(['backups', 'create', 'shop', '--wait']);
    await slow.setDelay(0);
    expect(waited.code).toBe(0);
    // Redrawn in place: carriage return and erase-line before each state, then cleared.
    // eslint-disable-next-line no-control-regex -- the escape that erases the line is what is checked
    expect(waited.output).toMatch(/\r\x1b\[2Kbackup bkp_[0-9a-z]{16} (queued|running) · (\d+(\.\d)? (B|KiB|MiB) · )?0m0[1-9]s/);
    expect(waited.output).toMatch(/status:\s+succeeded/);
  }, 60_000);

  it('asks for the service name before an in-place restore; Ctrl-C there does nothing (exit 2)', async () => {
    const canceled = await inTerminal(['backups', 'restore', 'latest', '--in-place'], [{ after: 'Type shop to go ahead: ', type: '\x03' }]);
    expect(canceled.output).toMatch(/backups restore --in-place replaces the database of shop with backup bkp_[0-9a-z]{16}, after a safety backup of what it holds now/);
    expect(canceled.output).toContain('lifeboat: canceled at the prompt; nothing was done');
    expect(canceled.code).toBe(2);
    const restores = await inTerminal(['restores', 'list', 'shop', '--json']);
    expect(JSON.parse(restores.output.slice(restores.output.indexOf('[')))).toEqual([]);
  }, 30_000);

  it('asks for the service name before deleting a backup, and does nothing on a wrong one', async () => {
    const prompt = 'Type shop to go ahead: ';
    const refused = await inTerminal(['backups', 'delete', 'latest'], [{ after: prompt, type: 'shoq\r' }]);
    expect(refused.output).toMatch(/backups delete deletes backup bkp_[0-9a-z]{16} of shop/);
    expect(refused.output).toContain('lifeboat: shoq is not shop; nothing was done');
    expect(refused.code).toBe(2);
    const before = await inTerminal(['backups', 'info', 'latest', '--json']);
    const { id, status } = JSON.parse(before.output.slice(before.output.indexOf('{'))) as { id: string; status: string };
    expect(status).toBe('succeeded');
    const confirmed = await inTerminal(['backups', 'delete', id], [{ after: prompt, type: 'shop\r' }]);
    expect(confirmed.code).toBe(0);
    expect(confirmed.output).toMatch(/status:\s+deleted/);
  }, 30_000);

  it('asks for a new password only with --new-password, without echoing it, and the name before a purge', async () => {
    const updated = await inTerminal(['services', 'update', 'shop', '--new-password'], [{ after: passwordPrompt, type: 'rotated-secret-7\r' }]);
    expect(updated.output).toContain(passwordPrompt);
    expect(updated.output).not.toContain('rotated-secret-7');
    expect(updated.output).toMatch(/updated shop \(svc_[0-9a-z]{16}\)/);
    expect(updated.code).toBe(0);
    const renamed = await inTerminal(['services', 'update', 'shop', '--name', 'shop-old']);
    expect(renamed.output).not.toContain(passwordPrompt);
    expect(renamed.code).toBe(0);
    const prompt = 'Type shop-old to go ahead: ';
    const refused = await inTerminal(['services', 'purge', 'shop-old'], [{ after: prompt, type: 'shop\r' }]);
    expect(refused.output).toContain('services purge deletes every backup of shop-old for good.');
    expect(refused.output).toContain('lifeboat: shop is not shop-old; nothing was done');
    expect(refused.code).toBe(2);
    const purged = await inTerminal(['services', 'purge', 'shop-old'], [{ after: prompt, type: 'shop-old\r' }]);
    expect(purged.output).toMatch(/purged shop-old: \d+ backups removed, the files of \d+ being deleted/);
    expect(purged.code).toBe(0);
    expect((await inTerminal(['services', 'list', '--archived'])).output).not.toContain('shop-old');
  }, 60_000);
});
