import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { apiClient, type LifeboatProcess, ownedProject, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { type PasswordPostgres, startPasswordPostgres } from '../support/password-postgres.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';

/**
 * The dashboard with two engines, in real Chromium against a real `lifeboat serve`: services
 * registered through its form (a PostgreSQL one with the real connection check, a MariaDB one
 * saved without it), the engines' labels, and the actions the capabilities answer allows.
 */
describe('dashboard with PostgreSQL and MariaDB services', { timeout: 180_000 }, () => {
  let source: TestDatabase;
  let platform: TestDatabase;
  let secured: PasswordPostgres;
  let work: string;
  let lifeboat: LifeboatProcess;
  let browser: Browser;
  let page: Page;
  let api: ReturnType<typeof apiClient>;
  let projectId: string;

  beforeAll(async () => {
    [source, platform, secured] = await Promise.all([createTestDatabase('dashboard_engines_source'), createTestDatabase('dashboard_engines_platform'), startPasswordPostgres()]);
    await seedSampleData(source, 50);
    work = await mkdtemp(join(tmpdir(), 'lifeboat-dashboard-engines-'));
    // The platform database on the machine's PostgreSQL, so the test can add a stored backup of the MariaDB service (below).
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'data'), LIFEBOAT_DATABASE_URL: platform.url });
    const owned = await ownedProject(lifeboat, 'engines');
    ({ api, projectId } = owned);
    const token = (await apiClient(lifeboat.url, lifeboat.adminToken!)('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token as string;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(lifeboat.url);
    await page.getByLabel('Project token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Services' }).waitFor();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await lifeboat?.stop();
    await secured?.stop();
    await source?.drop();
    await platform?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function register(fields: { name: string; engine: string; host: string; port?: string; database: string; user: string; password: string; skipCheck?: boolean }) {
    await page.goto(`${lifeboat.url}/#/`);
    await page.getByRole('button', { name: 'Register a service…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill(fields.name);
    await dialog.getByLabel('Engine').selectOption({ label: fields.engine });
    await dialog.getByLabel('Host').fill(fields.host);
    if (fields.port !== undefined) await dialog.getByLabel('Port').fill(fields.port);
    await dialog.getByLabel('Database').fill(fields.database);
    await dialog.getByLabel('User').fill(fields.user);
    await dialog.getByLabel('Password').fill(fields.password);
    if (fields.skipCheck) await dialog.getByLabel('Save without checking the connection').check();
    await dialog.getByRole('button', { name: 'Register' }).click();
    return dialog;
  }

  const row = (name: string) => page.locator('tr', { has: page.getByRole('link', { name, exact: true }) });
  const services = async () => ((await api('GET', `/v1/projects/${projectId}/services`)).body.services as { id: string; name: string; engine: string; connection: { port: number } }[]);

  it('refuses a wrong password with auth_failed and saves nothing', async () => {
    const dialog = await register({ name: 'locked', engine: 'PostgreSQL', host: secured.host, port: String(secured.port), database: secured.database, user: secured.user, password: 'not-the-password' });
    await expect(dialog.getByRole('alert').textContent({ timeout: 40_000 })).resolves.toMatch(/^auth_failed: /);
    expect((await services()).map((service) => service.name)).not.toContain('locked');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  }, 60_000);

  it('registers a PostgreSQL service after checking its connection, shown as PostgreSQL', async () => {
    const dialog = await register({ name: 'shop', engine: 'PostgreSQL', host: postgresHost, port: String(postgresPort), database: source.name, user: postgresUser, password: '' });
    await dialog.waitFor({ state: 'detached', timeout: 40_000 });
    await page.getByRole('status').getByText('Registered shop.').waitFor();
    await expect(row('shop').locator('td[data-label="Engine"]').textContent()).resolves.toBe('PostgreSQL');
    // The check ran as a real job: the audit log would say so too, but the saved service is the proof here.
    expect((await services()).find((service) => service.name === 'shop')?.engine).toBe('postgresql');
  }, 60_000);

  it('registers a MariaDB service without the check, on its default port, shown as MariaDB / MySQL', async () => {
    await page.goto(`${lifeboat.url}/#/`);
    await page.getByRole('button', { name: 'Register a service…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Engine').selectOption({ label: 'MariaDB / MySQL' });
    await expect(dialog.getByLabel('Port').getAttribute('placeholder')).resolves.toBe('3306');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    const registered = await register({ name: 'blog', engine: 'MariaDB / MySQL', host: '127.0.0.1', database: 'blog', user: 'root', password: '', skipCheck: true });
    await registered.waitFor({ state: 'detached' });
    await expect(row('blog').locator('td[data-label="Engine"]').textContent()).resolves.toBe('MariaDB / MySQL');
    const blog = (await services()).find((service) => service.name === 'blog');
    expect(blog).toMatchObject({ engine: 'mariadb', connection: { port: 3306 } });
  }, 30_000);

  it('warns of a duplicate target on success', async () => {
    const dialog = await register({ name: 'blog-again', engine: 'MariaDB / MySQL', host: '127.0.0.1', port: '3306', database: 'blog', user: 'root', password: '', skipCheck: true });
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('status').getByText(/^Warning \(duplicate_target\): /).waitFor();
  }, 30_000);

  it("offers the MariaDB service's actions by its capabilities: no restore plan asked, what an overwrite does said plainly, no Verify", async () => {
    const all = await services();
    const shop = all.find((service) => service.name === 'shop')!;
    const blog = all.find((service) => service.name === 'blog')!;
    const pgBackup = (await api('POST', `/v1/services/${shop.id}/backups`)).body.id as string;
    expect((await waitForBackup(api, pgBackup)).status).toBe('succeeded');
    // The MariaDB agent engine is not on this branch: a stored backup of the MariaDB service is
    // the PostgreSQL one's record under another id, enough for the dialog, which never runs it.
    const backupId = `bkp_${randomBytes(12).toString('hex')}`;
    const listed = await platform.query("SELECT table_schema, column_name FROM information_schema.columns WHERE table_name = 'backups' AND column_name NOT IN ('id', 'service_id')");
    const schema = (listed.rows[0] as { table_schema: string }).table_schema;
    const columns = listed.rows.map((column: { column_name: string }) => `"${column.column_name}"`).join(', ');
    await platform.query(`INSERT INTO "${schema}".backups (id, service_id, ${columns}) SELECT $1, $2, ${columns} FROM "${schema}".backups WHERE id = $3`, [backupId, blog.id, pgBackup]);

    const planRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/restore-plan')) planRequests.push(request.url());
    });
    await page.goto(`${lifeboat.url}/#/services/${blog.id}`);
    await page.reload();
    await page.getByRole('heading', { name: 'blog' }).waitFor();
    await page.getByText(/^MariaDB \/ MySQL · root@127\.0\.0\.1:3306\/blog/).waitFor();
    await page.getByText('Restore drills of MariaDB / MySQL services need a verification server: set LIFEBOAT_VERIFY_MARIADB_URL.').waitFor();
    const backupRow = page.locator(`tr[data-backup-id="${backupId}"]`);
    await backupRow.getByRole('button', { name: 'Restore…' }).waitFor();
    expect(await backupRow.getByRole('button', { name: 'Verify' }).count()).toBe(0);
    expect(await backupRow.getByRole('button', { name: 'Contents' }).count()).toBe(1);
    await expect(page.getByLabel('Run a restore drill after each scheduled backup').isDisabled()).resolves.toBe(true);

    await backupRow.getByRole('button', { name: 'Restore…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/Over blog itself/).check();
    await dialog.getByText('Replaces the whole database with the backup: tables, views and routines not in the backup are removed.').waitFor();
    await dialog.getByLabel(/Over another service of this project/).check();
    await dialog.getByText('Replaces the whole database with the backup: tables, views and routines not in the backup are removed.').waitFor();
    await page.waitForTimeout(500);
    expect(planRequests).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // PostgreSQL's: the plan is asked for, the drill note is absent only if its verification server is set.
    await page.goto(`${lifeboat.url}/#/services/${shop.id}`);
    await page.reload();
    await page.getByText(/^PostgreSQL · /).waitFor();
    await page.locator(`tr[data-backup-id="${pgBackup}"]`).getByRole('button', { name: 'Restore…' }).click();
    await page.getByRole('dialog').getByLabel(/Over shop itself/).check();
    await expect.poll(() => planRequests.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  }, 60_000);
});
