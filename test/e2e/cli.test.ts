import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { adminQuery, createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';

const cliPath = resolve(import.meta.dirname, '../../bin/lifeboat.js');

/** The real `lifeboat` binary as a platform user drives it: login, services, backups, download, restore. */
describe('the lifeboat command line', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let work: string;
  let lifeboat: LifeboatProcess;
  let env: Record<string, string>;
  let projectId: string;
  let ownerToken: string;
  const created: string[] = [];

  beforeAll(async () => {
    source = await createTestDatabase('cli_source');
    await seedSampleData(source, 500);
    work = await mkdtemp(join(tmpdir(), 'lifeboat-cli-'));
    await seedPlatformDatabase(join(work, 'data'));
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'data') });
    const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    projectId = (await admin('POST', '/v1/projects', { name: 'cli' })).body.id;
    ownerToken = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token;
    env = { PATH: process.env.PATH ?? '', HOME: work, LIFEBOAT_CONFIG: join(work, 'config.json') };
    const login = await lifeboat_(['login', '--url', lifeboat.url, '--token', ownerToken]);
    expect(login.code).toBe(0);
    expect(login.stdout).toBe(`logged in to ${lifeboat.url} as owner of project ${projectId}; saved to ${join(work, 'config.json')}\n`);
  });
  afterAll(async () => {
    await lifeboat?.stop();
    for (const name of created) await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await source?.drop();
    await target?.drop();
    await rm(work, { recursive: true, force: true });
  });

  function lifeboat_(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(process.execPath, [cliPath, ...args], { env: { ...env, ...extraEnv }, cwd: work }, (error, stdout, stderr) => {
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }
  const json = (text: string) => JSON.parse(text);

  it('keeps the login in a file only its owner can read', async () => {
    expect((await stat(join(work, 'config.json'))).mode & 0o777).toBe(0o600);
  });

  it('adds a service, backs it up with --wait, and lists it', async () => {
    const added = await lifeboat_(['services', 'add', 'shop', '--host', postgresHost, '--port', String(postgresPort), '--database', source.name, '--user', postgresUser], {
      LIFEBOAT_SERVICE_PASSWORD: 'never-on-the-command-line',
    });
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^registered shop \(svc_[0-9a-z]{16}\)/);

    const backup = await lifeboat_(['backups', 'create', 'shop', '--wait', '--json']);
    expect(backup.code).toBe(0);
    expect(json(backup.stdout)).toMatchObject({ status: 'succeeded', trigger: 'manual' });

    const list = await lifeboat_(['backups', 'list', 'shop']);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+TRIGGER/);
    expect(list.stdout).toContain(json(backup.stdout).id);
    expect((await lifeboat_(['services', 'list'])).stdout).toContain(`postgres@${postgresHost}:${postgresPort}/${source.name}`);
  });

  it('downloads a backup, checking its SHA-256, and shows its contents', async () => {
    const { id, sha256 } = json((await lifeboat_(['backups', 'create', 'shop', '--wait', '--json'])).stdout);
    const downloaded = await lifeboat_(['backups', 'download', id, '-o', 'shop.dump', '--json']);
    expect(downloaded.code).toBe(0);
    expect(json(downloaded.stdout)).toMatchObject({ file: 'shop.dump', sha256 });
    expect(createHash('sha256').update(await readFile(join(work, 'shop.dump'))).digest('hex')).toBe(sha256);
    const contents = await lifeboat_(['backups', 'contents', id]);
    expect(contents.stdout).toMatch(/public\.customers\s+500/);
    // Besides the tables: counts of the other kinds, and the roles a restore elsewhere needs.
    expect(contents.stdout).toMatch(/^views:\s+0$/m);
    expect(contents.stdout).toMatch(/^sequences:\s+[1-9]\d*$/m);
    expect(contents.stdout).toMatch(/^large objects:\s+0$/m);
    expect(contents.stdout).toMatch(/^roles:\s+\S+ \(owns [1-9]\d*, granted \d+\)/m);
    expect(contents.stdout).not.toMatch(/^left out:/m);
  });

  it('restores into a new database with --wait', async () => {
    const { id } = json((await lifeboat_(['backups', 'list', 'shop', '--json'])).stdout)[0];
    const database = `${source.name}_cli`;
    created.push(database);
    const restored = await lifeboat_(['backups', 'restore', id, '--new-database', database, '--wait', '--json']);
    expect(restored.code).toBe(0);
    expect(json(restored.stdout)).toMatchObject({ status: 'succeeded', target: { kind: 'new_database', database } });
    expect((await adminQuery(`SELECT 1 FROM pg_database WHERE datname = $1`, [database])).rowCount).toBe(1);
  });

  it('exits 1 when a backup fails, and explains it', async () => {
    await lifeboat_(['services', 'add', 'ghost', '--host', postgresHost, '--database', 'no_such_database', '--user', postgresUser, '--skip-check'], { LIFEBOAT_SERVICE_PASSWORD: 'not-needed-by-trust' });
    const failed = await lifeboat_(['backups', 'create', 'ghost', '--wait']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/failure:\s+database_not_found: database "no_such_database" does not exist/);
  });

  it('exits 1 and keeps no file when a download does not match its checksum', async () => {
    const { id, projectId, serviceId } = json((await lifeboat_(['backups', 'list', 'shop', '--json'])).stdout)[0];
    const artifact = join(work, 'data', 'artifacts', 'projects', projectId, 'services', serviceId, 'backups', id, 'backup.dump');
    const bytes = await readFile(artifact);
    await writeFile(artifact, Buffer.concat([bytes.subarray(0, 100), Buffer.from('!'), bytes.subarray(101)]));
    const download = await lifeboat_(['backups', 'download', id, '-o', 'bad.dump']);
    expect(download.code).toBe(1);
    expect(download.stderr).toContain('does not match the backup');
    await expect(stat(join(work, 'bad.dump'))).rejects.toThrow();
  });

  it('issues, lists and revokes tokens; a revoked one is refused at once', async () => {
    const issued = await lifeboat_(['tokens', 'create', '--role', 'viewer', '--expires-in-days', '7', '--json']);
    expect(issued.code).toBe(0);
    const { id, token } = json(issued.stdout) as { id: string; token: string };
    expect(token).toMatch(/^lbp_/);
    const listed = await lifeboat_(['tokens', 'list']);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+ROLE\s+CREATED\s+EXPIRES/);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain(token);
    expect((await lifeboat_(['services', 'list'], { LIFEBOAT_TOKEN: token })).code).toBe(0);
    // A viewer cannot mint tokens: the API refuses, and the command says so.
    const minted = await lifeboat_(['tokens', 'create', '--role', 'owner', '--json'], { LIFEBOAT_TOKEN: token });
    expect(minted.code).toBe(3);
    expect(json(minted.stdout).error.code).toBe('forbidden');
    const revoked = await lifeboat_(['tokens', 'revoke', id]);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${id}\n` });
    const refused = await lifeboat_(['services', 'list', '--json'], { LIFEBOAT_TOKEN: token });
    expect(refused.code).toBe(3);
    expect(json(refused.stdout).error.code).toBe('unauthorized');
  });

  it('exits 3 for what the API refuses, 2 without a login, with --json errors for scripts', async () => {
    const missing = await lifeboat_(['backups', 'info', 'bkp_0000000000000000', '--json']);
    expect(missing.code).toBe(3);
    expect(json(missing.stdout)).toEqual({ error: { code: 'not_found', message: 'no backup bkp_0000000000000000' } });
    const unconfigured = await lifeboat_(['services', 'list'], { LIFEBOAT_CONFIG: join(work, 'nowhere.json') });
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toContain('lifeboat login');
  });

  it('login checks the URL and the token before saving anything; whoami says who; logout forgets', async () => {
    const elsewhere = { LIFEBOAT_CONFIG: join(work, 'other-login.json') };
    const saved = () => stat(elsewhere.LIFEBOAT_CONFIG).then(() => true, () => false);

    const closedPort = await new Promise<number>((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => done(port));
      });
    });
    const unreachable = await lifeboat_(['login', '--url', `http://127.0.0.1:${closedPort}`, '--token', ownerToken], elsewhere);
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).toMatch(/^lifeboat: cannot reach Lifeboat at http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED .*nothing was saved\n$/);
    // A server that answers, but not as the API (its dashboard's address): a wrong URL too.
    const notTheApi = await lifeboat_(['login', '--url', `${lifeboat.url}/dashboard`, '--token', ownerToken], elsewhere);
    expect(notTheApi.code).toBe(4);
    expect(notTheApi.stderr).toContain(`${lifeboat.url}/dashboard is not the address of a Lifeboat API`);
    const badToken = await lifeboat_(['login', '--url', lifeboat.url, '--token', 'lbp_not-a-token', '--json'], elsewhere);
    expect(badToken.code).toBe(3);
    expect(json(badToken.stdout).error.code).toBe('unauthorized');
    const noToken = await lifeboat_(['login', '--url', lifeboat.url], elsewhere);
    expect(noToken.code).toBe(2);
    expect(await saved()).toBe(false);

    const whoami = await lifeboat_(['whoami']);
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toMatch(new RegExp(`^url:\\s+${lifeboat.url}\\ntoken:\\s+project token\\nproject:\\s+${projectId}\\nrole:\\s+owner\\n$`));
    expect(json((await lifeboat_(['whoami', '--json'])).stdout)).toEqual({ kind: 'project', projectId, role: 'owner', url: lifeboat.url });
    const asAdmin = await lifeboat_(['whoami', '--json'], { LIFEBOAT_TOKEN: lifeboat.adminToken! });
    expect(json(asAdmin.stdout)).toMatchObject({ kind: 'admin', projectId: null, role: null });

    expect((await lifeboat_(['login', '--url', `${lifeboat.url}/`, '--token', ownerToken], elsewhere)).code).toBe(0);
    expect(json(await readFile(elsewhere.LIFEBOAT_CONFIG, 'utf8'))).toEqual({ url: lifeboat.url, token: ownerToken });
    const logout = await lifeboat_(['logout'], elsewhere);
    expect(logout).toMatchObject({ code: 0, stdout: `removed the login saved in ${elsewhere.LIFEBOAT_CONFIG}\n` });
    expect(await saved()).toBe(false);
    expect((await lifeboat_(['logout'], elsewhere)).stdout).toBe(`no login was saved in ${elsewhere.LIFEBOAT_CONFIG}\n`);
    expect((await lifeboat_(['whoami'], elsewhere)).code).toBe(2);
  });

  it('exits 2 for wrong usage, in words for people, before asking the API', async () => {
    const malformed = await lifeboat_(['backups', 'info', 'not-an-id']);
    expect(malformed).toMatchObject({ code: 2, stdout: '', stderr: 'lifeboat: not-an-id is not a backup id (bkp_…, the start of one, or latest)\n' });
    expect(json((await lifeboat_(['backups', 'download', 'bkp_Short', '--json'])).stdout)).toEqual({ error: { code: 'usage', message: 'bkp_Short is not a backup id (bkp_…, the start of one, or latest)' } });
    const missing = await lifeboat_(['backups', 'info']);
    expect(missing).toMatchObject({ code: 2, stderr: "lifeboat: missing required argument 'backup' (usage: lifeboat backups info [options] <backup>)\n" });
    const unknownOption = await lifeboat_(['backups', 'list', 'shop', '--bogus']);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("unknown option '--bogus'");
    expect((await lifeboat_(['backups', 'info', 'bkp_0000000000000000', 'extra'])).code).toBe(2);
    expect((await lifeboat_(['backups'])).code).toBe(2); // a group without its subcommand: its help, on stderr
    expect((await lifeboat_(['no-such-command'])).code).toBe(2);
    const limit = await lifeboat_(['backups', 'list', 'shop', '--limit', 'lots']);
    expect(limit).toMatchObject({ code: 2, stderr: 'lifeboat: --limit takes a whole number of at least 1, not lots\n' });
    expect((await lifeboat_(['tokens', 'revoke', 'some-token'])).stderr).toBe('lifeboat: some-token is not a token id (tok_…)\n');
    expect((await lifeboat_(['--project', 'cli', 'services', 'list'])).stderr).toBe('lifeboat: cli is not a project id (prj_…)\n');
    // Asking for help is not wrong usage.
    const help = await lifeboat_(['backups', 'info', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('its id (bkp_…), the start of one, or latest');
  });

  it('ends quietly when its reader stops early (| head)', async () => {
    // The reader is gone before the command writes a byte: every write meets EPIPE.
    const closedEarly = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [cliPath, 'backups', 'list', 'shop'], { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('close', (code) => done({ code, stderr }));
    });
    expect(closedEarly).toEqual({ code: 0, stderr: '' });
    const piped = await new Promise<{ stdout: string; stderr: string }>((done) => {
      execFile('sh', ['-c', `"${process.execPath}" "${cliPath}" backups list shop | head -1`], { env, cwd: work }, (_error, stdout, stderr) => done({ stdout, stderr }));
    });
    expect(piped).toMatchObject({ stderr: '' });
    expect(piped.stdout).toMatch(/^ID\s+STATUS\s+TRIGGER.*\n$/);
  });

  it('never registers a service with an empty or missing password off a terminal', async () => {
    const args = ['services', 'add', 'nopass', '--host', postgresHost, '--database', source.name, '--user', postgresUser];
    const missing = await lifeboat_(args);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toBe('lifeboat: no password for the service: set LIFEBOAT_SERVICE_PASSWORD, pass --password-stdin, or run on a terminal to be asked for it\n');
    const empty = await lifeboat_(args, { LIFEBOAT_SERVICE_PASSWORD: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the password from LIFEBOAT_SERVICE_PASSWORD is empty');
    expect((await lifeboat_(['services', 'list'])).stdout).not.toContain('nopass');
  });

  it('takes latest and the start of an id wherever a backup is named', async () => {
    const newest = json((await lifeboat_(['backups', 'list', 'shop', '--json'])).stdout).find((backup: { status: string }) => backup.status === 'succeeded');
    // Two services now (shop, ghost): latest needs --service.
    const unnamed = await lifeboat_(['backups', 'info', 'latest']);
    expect(unnamed).toMatchObject({ code: 2, stderr: 'lifeboat: latest needs --service <service>: this project has 2 (ghost, shop)\n' });
    expect(json((await lifeboat_(['backups', 'info', 'latest', '--service', 'shop', '--json'])).stdout).id).toBe(newest.id);
    const prefix = newest.id.slice(0, 12);
    expect(json((await lifeboat_(['backups', 'contents', prefix, '--json'])).stdout).tables.length).toBeGreaterThan(0);
    expect((await lifeboat_(['backups', 'url', 'latest', '--service', 'shop'])).stdout).toContain(`/v1/downloads/${newest.id}?`);
    const nothing = await lifeboat_(['backups', 'info', 'bkp_zzzzzzzzzzzzzzz']);
    expect(nothing).toMatchObject({ code: 3, stderr: 'lifeboat: no backup id starts with bkp_zzzzzzzzzzzzzzz\n' });
    const noneSucceeded = await lifeboat_(['backups', 'download', 'latest', '--service', 'ghost']);
    expect(noneSucceeded).toMatchObject({ code: 3, stderr: 'lifeboat: ghost has no succeeded backup yet\n' });
    // The list and info show the drill verdict (never drilled here) and EXPIRES.
    expect((await lifeboat_(['backups', 'list', 'shop'])).stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+TRIGGER\s+REQUESTED\s+DURATION\s+SIZE\s+EXPIRES\s+DRILL\s+FAILURE$/);
    expect((await lifeboat_(['backups', 'info', prefix])).stdout).toMatch(/\ndrill:\s+never drilled\n/);
  });

  it('status shows each service: last good backup, its age, verified or not, next run, overdue', async () => {
    await lifeboat_(['schedule', 'set', 'shop', '--cron', '0 3 * * *', '--timezone', 'Europe/Berlin', '--keep-daily', '7']);
    const status = await lifeboat_(['status']);
    expect(status.code).toBe(0);
    const lines = status.stdout.split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+LAST GOOD BACKUP\s+AT\s+AGE\s+VERIFIED\s+NEXT RUN\s+OVERDUE\s+LATEST$/);
    expect(lines.find((line) => line.startsWith('shop '))).toMatch(/^shop\s+bkp_[0-9a-z]{16}\s+\d{4}-\d\d-\d\d \d\d:\d\d GMT\+[12]\s+\d+[smhd]\s+not drilled\s+\d{4}-\d\d-\d\d 03:0\d GMT\+[12]\s+no/);
    expect(lines.find((line) => line.startsWith('ghost '))).toMatch(/^ghost\s+none yet\s+-\s+-\s+-\s+no schedule\s+-\s+failed: database_not_found$/);
    const [shop] = json((await lifeboat_(['status', '--json'])).stdout).filter((row: { service: string }) => row.service === 'shop');
    expect(shop).toMatchObject({ overdue: false, schedule: { timezone: 'Europe/Berlin' }, lastGoodBackup: { drill: null } });
    const schedules = await lifeboat_(['schedule', 'list']);
    expect(schedules.stdout).toMatch(/\nshop\s+0 3 \* \* \*\s+Europe\/Berlin\s+\d{4}-\d\d-\d\d 03:0\d GMT\+[12]\s+keepDaily=7\s+off\n/);
    expect(schedules.stdout).toMatch(/^ghost\s+no schedule\s+-/m);
  });

  it('lists restores and shows one', async () => {
    const list = await lifeboat_(['restores', 'list', 'shop']);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+BACKUP\s+STATUS\s+TARGET/);
    const [first] = json((await lifeboat_(['restores', 'list', 'shop', '--json'])).stdout);
    expect(list.stdout).toContain(first.id);
    expect((await lifeboat_(['restores', 'info', first.id])).stdout).toMatch(new RegExp(`^restore:\\s+${first.id}\\nbackup:\\s+${first.backupId}\\nstatus:\\s+succeeded\\ntarget:\\s+new database `));
    expect((await lifeboat_(['restores', 'info', 'rst_nope'])).code).toBe(2);
  });

  it('adds, lists and removes webhooks, and the audit log shows it', async () => {
    const added = await lifeboat_(['webhooks', 'add', 'http://127.0.0.1:9/hook', '--events', 'backup.failed', '--json']);
    expect(added.code).toBe(0);
    const { id, secret } = json(added.stdout);
    expect(secret).toBeTruthy();
    expect((await lifeboat_(['webhooks', 'list'])).stdout).toMatch(new RegExp(`\\n${id}\\s+http://127\\.0\\.0\\.1:9/hook\\s+backup\\.failed\\s`));
    expect(await lifeboat_(['webhooks', 'remove', id])).toMatchObject({ code: 0, stdout: `removed ${id}\n` });
    expect((await lifeboat_(['webhooks', 'list', '--json'])).stdout).not.toContain(id);
    const audit = await lifeboat_(['audit', '--action', 'webhook.created', '--limit', '5']);
    expect(audit.stdout.split('\n')[0]).toMatch(/^AT\s+ACTOR\s+ACTION\s+TARGET\s+DETAILS$/);
    expect(audit.stdout).toContain(`webhook.created  webhook ${id}`);
    expect(audit.stdout).not.toContain('webhook.deleted');
    const page = json((await lifeboat_(['audit', '--limit', '1', '--json'])).stdout);
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0].action).toBe('webhook.deleted');
  });

  it('destructive commands need --confirm <service> off a terminal, and the right name', async () => {
    const { id } = json((await lifeboat_(['backups', 'list', 'shop', '--json'])).stdout).find((backup: { status: string }) => backup.status === 'succeeded');
    const unconfirmed = await lifeboat_(['backups', 'delete', id]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/^lifeboat: backups delete deletes backup bkp_\w+ of shop .*: pass --confirm shop to go ahead when not on a terminal; nothing was done\n$/);
    expect((await lifeboat_(['backups', 'delete', id, '--confirm', 'ghost'])).stderr).toBe('lifeboat: --confirm ghost does not match shop; nothing was done\n');
    expect(json((await lifeboat_(['backups', 'info', id, '--json'])).stdout).status).toBe('succeeded');
    const inPlace = await lifeboat_(['backups', 'restore', id, '--in-place']);
    expect(inPlace.code).toBe(2);
    expect(inPlace.stderr).toContain('pass --confirm shop to go ahead');
    expect((await lifeboat_(['services', 'remove', 'ghost'])).stderr).toContain('pass --confirm ghost to go ahead');
    expect((await lifeboat_(['services', 'list'])).stdout).toContain('ghost');
    const deleted = await lifeboat_(['backups', 'delete', id, '--confirm', 'shop', '--json']);
    expect(deleted.code).toBe(0);
    expect(json(deleted.stdout).status).toBe('deleted');
    expect(await lifeboat_(['services', 'remove', 'ghost', '--confirm', 'ghost'])).toMatchObject({ code: 0, stdout: 'removed ghost\n' });
  });

  it('updates a service: a rename, a connection checked before it is saved, and duplicate_target warnings', async () => {
    const added = await lifeboat_(['services', 'add', 'shop-copy', '--host', postgresHost, '--port', String(postgresPort), '--database', source.name, '--user', postgresUser], {
      LIFEBOAT_SERVICE_PASSWORD: 'not-needed-by-trust',
    });
    expect(added.code).toBe(0);
    expect(added.stderr).toMatch(/^warning: duplicate_target: service svc_[0-9a-z]{16} of this project already points at /);
    const renamed = await lifeboat_(['services', 'update', 'shop-copy', '--name', 'staging']);
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toMatch(new RegExp(`^updated staging \\(svc_[0-9a-z]{16}\\): ${postgresUser}@${postgresHost}:${postgresPort}/${source.name}\n$`));
    expect(renamed.stderr).toContain('warning: duplicate_target');
    // A connection that does not work is refused, and nothing changes.
    const broken = await lifeboat_(['services', 'update', 'staging', '--database', 'no_such_database', '--json']);
    expect(broken.code).toBe(3);
    expect(json(broken.stdout).error.code).toBe('database_not_found');
    expect(json((await lifeboat_(['services', 'list', '--json'])).stdout).find((service: { name: string }) => service.name === 'staging').connection.database).toBe(source.name);
    target = await createTestDatabase('cli_target');
    const moved = await lifeboat_(['services', 'update', 'staging', '--database', target.name, '--json']);
    expect(moved.code).toBe(0);
    expect(json(moved.stdout)).toMatchObject({ name: 'staging', duplicateOf: null, warnings: [], connection: { database: target.name } });
    expect(moved.stderr).toBe('');
    expect(await lifeboat_(['services', 'update', 'staging'])).toMatchObject({ code: 2, stderr: 'lifeboat: nothing to change: give --name, --host, --port, --database, --user, --password-stdin or --new-password\n' });
  });

  it('restores a backup over another service, after its name is confirmed', async () => {
    const { id } = json((await lifeboat_(['backups', 'list', 'shop', '--json'])).stdout).find((backup: { status: string }) => backup.status === 'succeeded');
    const unconfirmed = await lifeboat_(['backups', 'restore', id, '--to-service', 'staging']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('pass --confirm staging to go ahead');
    expect((await lifeboat_(['backups', 'restore', id, '--to-service', 'staging', '--in-place', '--confirm', 'staging'])).code).toBe(2);
    const restored = await lifeboat_(['backups', 'restore', id, '--to-service', 'staging', '--confirm', 'staging', '--wait']);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/\nstatus:\s+succeeded\ntarget:\s+over service svc_[0-9a-z]{16}\nsafety backup:\s+bkp_[0-9a-z]{16}\n/);
    expect((await target.query('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(500);
  });

  it('lists archived services and purges one, only with its name', async () => {
    expect((await lifeboat_(['services', 'list'])).stdout).not.toContain('ghost');
    const archived = await lifeboat_(['services', 'list', '--archived']);
    expect(archived.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+ENGINE\s+CONNECTION$/);
    expect(archived.stdout).toMatch(/\nsvc_[0-9a-z]{16}\s+ghost\s+postgresql\s/);
    expect((await lifeboat_(['services', 'purge', 'ghost'])).stderr).toBe('lifeboat: services purge deletes every backup of ghost for good: pass --confirm ghost to go ahead when not on a terminal; nothing was done\n');
    expect((await lifeboat_(['services', 'purge', 'ghost', '--confirm', 'shop'])).code).toBe(2);
    const purged = await lifeboat_(['services', 'purge', 'ghost', '--confirm', 'ghost', '--json']);
    expect(purged.code).toBe(0);
    expect(json(purged.stdout)).toMatchObject({ backups: 1, artifacts: 0 });
    expect((await lifeboat_(['services', 'purge', 'nobody', '--confirm', 'nobody'])).stderr).toBe('lifeboat: no service named nobody in this project, active or archived\n');
  });
});
