import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { slowPgDump } from '../support/slow-pg-dump.js';
import { apiClient, type LifeboatProcess, startLifeboat } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { adminQuery, createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';

const screenshots = resolve(import.meta.dirname, '../../test-results/screenshots');

/** The dashboard in real headless Chromium against a real `lifeboat serve` backing up a real PostgreSQL. */
describe('dashboard', () => {
  let source: TestDatabase;
  let work: string;
  let slow: Awaited<ReturnType<typeof slowPgDump>>;
  let lifeboat: LifeboatProcess;
  let browser: Browser;
  let page: Page;
  let admin: ReturnType<typeof apiClient>;
  let api: ReturnType<typeof apiClient>;
  let token: string;
  let projectId: string;
  let shopId: string;
  let brokenId: string;
  const created: string[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    source = await createTestDatabase('dashboard_source');
    await seedSampleData(source, 1000);
    work = await mkdtemp(join(tmpdir(), 'lifeboat-dashboard-'));
    await mkdir(screenshots, { recursive: true });
    // A backup that runs long enough to cancel.
    slow = await slowPgDump(work);
    await seedPlatformDatabase(join(work, 'data'));
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'data'), PATH: slow.path });
    admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    projectId = (await admin('POST', '/v1/projects', { name: 'web' })).body.id;
    token = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token;
    api = apiClient(lifeboat.url, token);
    const service = (name: string, database: string) =>
      api('POST', `/v1/projects/${projectId}/services?skipCheck=true`, { name, engine: 'postgresql', connection: { host: postgresHost, port: postgresPort, database, user: postgresUser, password: '' } });
    shopId = (await service('shop', source.name)).body.id;
    brokenId = (await service('broken', 'no_such_database')).body.id;
    await api('PUT', `/v1/services/${shopId}/schedule`, { cron: '0 3 * * *', timezone: 'Europe/Berlin', retention: { keepDaily: 7 } });

    browser = await launchChromium();
    page = await browser.newPage({ acceptDownloads: true });
    // Whatever the Content-Security-Policy blocks, over every page load, for the last test to show.
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.exposeFunction('reportCspViolation', (text: string) => cspViolations.push(text));
    // Init scripts run outside the page's CSP.
    await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (event) => window.reportCspViolation(`${event.violatedDirective} ${event.blockedURI}`))" });
    await page.goto(lifeboat.url);
  });
  afterAll(async () => {
    await browser?.close();
    await lifeboat?.stop();
    for (const name of created) await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await source?.drop();
    await rm(work, { recursive: true, force: true });
  });

  const row = (backupId: string) => page.locator(`tr[data-backup-id="${backupId}"]`);
  async function latestBackupId(serviceId: string): Promise<string> {
    return (await api('GET', `/v1/services/${serviceId}/backups?limit=1`)).body.backups[0].id;
  }

  it('signs in with a project token kept in session storage, and lists the services', async () => {
    await page.getByLabel('Project token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Services' }).waitFor();
    expect(await page.evaluate("sessionStorage.getItem('lifeboat.token')")).toBe(token);
    expect(page.url()).not.toContain(token);
    await expect.poll(() => page.getByRole('link', { name: 'shop' }).count()).toBe(1);
    await page.screenshot({ path: join(screenshots, 'services.png'), fullPage: true });
  });

  it('backs up now and shows it succeed live, without a reload', async () => {
    await page.getByRole('link', { name: 'shop' }).click();
    await page.getByRole('heading', { name: 'shop' }).waitFor();
    await page.evaluate('window.stillHere = true');
    await page.getByRole('button', { name: 'Back up now' }).click();
    const backupId = await (async () => {
      await expect.poll(() => api('GET', `/v1/services/${shopId}/backups?limit=1`).then((r) => r.body.backups.length)).toBe(1);
      return latestBackupId(shopId);
    })();
    await row(backupId).getByText('Succeeded').waitFor({ timeout: 30_000 });
    expect(await page.evaluate('window.stillHere')).toBe(true);
    await page.screenshot({ path: join(screenshots, 'service.png'), fullPage: true });
  });

  it('downloads a backup through a fresh link, with the recorded SHA-256', async () => {
    const backupId = await latestBackupId(shopId);
    const [download] = await Promise.all([page.waitForEvent('download'), row(backupId).getByRole('button', { name: 'Download' }).click()]);
    const file = join(work, 'downloaded.dump');
    await download.saveAs(file);
    const { sha256 } = (await api('GET', `/v1/backups/${backupId}`)).body;
    expect(createHash('sha256').update(await readFile(file)).digest('hex')).toBe(sha256);
    expect(download.suggestedFilename()).toMatch(/^shop-\d{8}T\d{6}Z\.dump$/);
  });

  it('shows what a backup holds', async () => {
    await row(await latestBackupId(shopId)).getByRole('button', { name: 'Contents' }).click();
    const dialog = page.getByRole('dialog', { name: 'What this backup holds' });
    await dialog.getByText('public.orders').waitFor();
    // The other kinds of object, counted, and the roles a restore elsewhere needs.
    await dialog.getByText(/^Also: 0 views, 0 materialized views, 0 functions, [1-9]\d* sequences, 0 large objects\.$/).waitFor();
    await dialog.getByText(/^Roles it refers to/).waitFor();
    await page.screenshot({ path: join(screenshots, 'contents.png') });
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  it('restores into a new database and shows the restore succeed', async () => {
    const database = `${source.name}_web`;
    created.push(database);
    await row(await latestBackupId(shopId)).getByRole('button', { name: 'Restore…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New database name').fill(database);
    await page.screenshot({ path: join(screenshots, 'restore-dialog.png') });
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await page.locator('table.restores tr', { hasText: database }).getByText('Succeeded').waitFor({ timeout: 30_000 });
    expect((await adminQuery('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [database])).rows[0].n).toBe(1);
    // The restore links to its backup.
    const link = page.locator('table.restores tr', { hasText: database }).locator('a[href^="#/backups/bkp_"]');
    expect(await link.getAttribute('href')).toBe(`#/backups/${await latestBackupId(shopId)}`);
  });

  it('shows the next runs of the schedule in its timezone', async () => {
    await page.getByRole('heading', { name: 'Next runs (Europe/Berlin)' }).waitFor();
    expect(await page.locator('ol.upcoming li').count()).toBe(5);
  });

  it('describes the cron expression in words, checks it as it is typed, and removes the schedule', async () => {
    const cron = page.getByLabel('Cron expression');
    await page.locator('#cron-words', { hasText: '03:00' }).waitFor();
    expect(await page.getByLabel('Timezone').inputValue()).toBe('Europe/Berlin');
    expect(await page.locator('#timezone option').count()).toBeGreaterThan(300);
    await cron.fill('* * * * *');
    // The server's own rule (the operator's minimum interval), shown before anything is saved.
    await page.getByRole('alert').filter({ hasText: 'runs every 1 minute at the shortest' }).waitFor();
    expect(await cron.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('button', { name: 'Save schedule' }).isDisabled()).toBe(true);
    await cron.fill('0 0 3 * * *');
    await page.getByRole('alert').filter({ hasText: 'use five fields' }).waitFor();
    await cron.fill('30 4 * * 1');
    await page.locator('#cron-words', { hasText: '04:30' }).waitFor();
    // 04:30 plus the service's fixed offset within the jitter window.
    await expect.poll(() => page.locator('ol.upcoming li').first().innerText()).toMatch(/ 04:3\d /);
    expect(await page.getByRole('button', { name: 'Save schedule' }).isDisabled()).toBe(false);
    // Nothing was saved by typing.
    expect((await api('GET', `/v1/services/${shopId}/schedule`)).body.cron).toBe('0 3 * * *');
    await page.getByRole('button', { name: 'Remove schedule' }).click();
    await page.getByText('No schedule.').waitFor();
    expect(await cron.inputValue()).toBe('');
    expect((await api('GET', `/v1/services/${shopId}/schedule`)).status).toBe(404);
    await page.reload();
    await page.getByText('No schedule.').waitFor();
    expect(await page.getByLabel('Cron expression').inputValue()).toBe('');
    expect(await page.getByRole('button', { name: 'Remove schedule' }).count()).toBe(0);
  });

  it('pages through the audit log, filters it, and names the objects', async () => {
    // More entries than one page holds (50).
    for (let i = 0; i < 26; i++) {
      await api('PUT', `/v1/services/${brokenId}/schedule`, { cron: '0 3 * * *', timezone: 'UTC', retention: { keepLast: i + 1 } });
      await api('DELETE', `/v1/services/${brokenId}/schedule`);
    }
    await page.goto(`${lifeboat.url}/#/audit`);
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    await expect.poll(() => page.locator('table.audit tbody tr').count()).toBe(50);
    await page.getByRole('button', { name: 'Older entries' }).click();
    await expect.poll(() => page.locator('table.audit tbody tr').count()).toBeGreaterThan(50);
    const ids = await page.locator('table.audit tbody tr').evaluateAll((rows) => rows.map((row) => (row as unknown as { dataset: { auditId: string } }).dataset.auditId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(await page.locator('table.audit tbody tr', { hasText: 'backup of shop' }).count()).toBeGreaterThan(0);

    await page.getByLabel('Action').selectOption('schedule.removed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('table.audit tbody tr').count()).toBe(27);
    expect(await page.locator('table.audit tbody tr', { hasText: 'broken' }).count()).toBe(26);
    await page.getByLabel('Object id').fill(shopId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('table.audit tbody tr').count()).toBe(1);
    await page.getByLabel('Actor').fill('scheduler');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No entries match.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByLabel('From').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No entries match.').waitFor();
    await page.screenshot({ path: join(screenshots, 'audit.png'), fullPage: true });
  });

  it('shows a failed backup with its reason in words', async () => {
    await page.goto(`${lifeboat.url}/#/services/${brokenId}`);
    await page.getByRole('heading', { name: 'broken' }).waitFor();
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.getByText('database "no_such_database" does not exist').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(screenshots, 'failed.png'), fullPage: true });
  });

  it('cancels a running backup', async () => {
    await slow.setDelay(30);
    try {
      await page.goto(`${lifeboat.url}/#/services/${shopId}`);
      await page.getByRole('heading', { name: 'shop' }).waitFor();
      await page.getByRole('button', { name: 'Back up now' }).click();
      await expect.poll(async () => (await api('GET', `/v1/services/${shopId}/backups?limit=1`)).body.backups[0].status, { timeout: 15_000 }).toBe('running');
      const backupId = await latestBackupId(shopId);
      await expect.poll(() => page.getByRole('button', { name: 'Back up now' }).isDisabled()).toBe(true);
      await row(backupId).getByRole('button', { name: 'Cancel' }).click();
      await row(backupId).getByText('Canceled').waitFor({ timeout: 30_000 });
    } finally {
      await slow.setDelay(0);
    }
  });

  it('warns that backups are unavailable and disables backing up, when the kill switch is engaged', async () => {
    await admin('PUT', '/v1/admin/kill-switch', { engaged: true, reason: 'storage migration tonight' });
    try {
      await page.reload();
      const banner = page.getByRole('alert');
      await banner.getByText('storage migration tonight').waitFor();
      expect(await banner.innerText()).toContain('Backups are unavailable');
      expect(await page.getByRole('button', { name: 'Back up now' }).isDisabled()).toBe(true);
      await page.screenshot({ path: join(screenshots, 'kill-switch.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(screenshots, 'phone.png'), fullPage: true });
    } finally {
      await admin('PUT', '/v1/admin/kill-switch', { engaged: false });
    }
  });

  it('edits a service through its dialog (the API refusal inline, the warnings after), archives it, and finds it under archived services', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${lifeboat.url}/#/services/${brokenId}`);
    await page.getByRole('heading', { name: 'broken' }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit broken' });
    await dialog.getByLabel('Name').fill('broken-db');
    await dialog.getByLabel('Database').fill('still_missing');
    await dialog.getByRole('button', { name: 'Save' }).click();
    // The connection check fails: nothing is saved, and the API's words are shown in the dialog.
    await dialog.getByRole('alert').getByText('database "still_missing" does not exist').waitFor({ timeout: 30_000 });
    expect((await api('GET', `/v1/services/${brokenId}`)).body.name).toBe('broken');
    await dialog.getByLabel('Database').fill(source.name);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'broken-db' }).waitFor({ timeout: 30_000 });
    expect(await dialog.count()).toBe(0);
    await page.getByRole('status').getByText(/^Warning: .*already points at/).waitFor();
    await page.getByText('duplicate target', { exact: true }).waitFor();
    expect((await api('GET', `/v1/services/${brokenId}`)).body).toMatchObject({ name: 'broken-db', duplicateOf: shopId, connection: { database: source.name } });
    await page.screenshot({ path: join(screenshots, 'service-edited.png'), fullPage: true });

    await page.getByRole('button', { name: 'Archive…' }).click();
    await page.getByRole('dialog', { name: 'Archive broken-db' }).getByRole('button', { name: 'Archive' }).click();
    await page.getByText(/· archived /).waitFor();
    expect(await page.getByRole('button', { name: 'Back up now' }).isDisabled()).toBe(true);
    expect((await api('GET', `/v1/services/${brokenId}`)).body.archivedAt).not.toBeNull();

    await page.goto(`${lifeboat.url}/#/`);
    await page.getByRole('heading', { name: 'Services' }).waitFor();
    await expect.poll(() => page.getByRole('link', { name: 'shop' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'broken-db' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Archived services' }).click();
    await page.getByRole('heading', { name: 'Archived services' }).waitFor();
    const archivedRow = page.locator(`tr[data-service-id="${brokenId}"]`);
    await archivedRow.getByRole('button', { name: 'Purge…' }).waitFor();
    await page.screenshot({ path: join(screenshots, 'archived-services.png'), fullPage: true });
    await archivedRow.getByRole('link', { name: 'broken-db' }).click();
    await page.getByRole('heading', { name: 'broken-db' }).waitFor();
    await page.getByText('This service is archived').waitFor();
  });

  it('shows the Delete action to owners only', async () => {
    const memberToken = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'member' })).body.token as string;
    await page.goto(`${lifeboat.url}/#/services/${shopId}`);
    await page.getByRole('heading', { name: 'shop' }).waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Delete' }).count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Project token').fill(memberToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`${lifeboat.url}/#/services/${shopId}`);
    await page.getByRole('heading', { name: 'shop' }).waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Download' }).count()).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
  });

  it('ran every view under a strict Content-Security-Policy without a single violation', async () => {
    const response = await fetch(lifeboat.url);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(cspViolations).toEqual([]);
  });
});
