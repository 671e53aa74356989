import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { apiClient, type LifeboatProcess, ownedProject, registerService, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { createTestDatabase, seedSampleData, type TestDatabase } from '../support/postgres.js';
import { slowPgDump } from '../support/slow-pg-dump.js';

/** The browser's, in the functions evaluated in the page (this file compiles without the DOM library). */
declare function getComputedStyle(element: Element): { color: string; backgroundColor: string; borderStyle: string; lineHeight: string; fontSize: string };

/** Screenshots go outside the repository: a person looks at them, the assertions below decide. */
const screenshots = join(tmpdir(), 'lifeboat-test-output', 'dashboard-layout');

/**
 * The dashboard's layout in real Chromium at a desktop and a phone width: rows keep one height
 * whatever their buttons, badges never wrap, canceled looks unlike failed, ids link, and
 * nothing the dashboard loads answers 404 or logs an error.
 */
describe('dashboard layout', () => {
  let source: TestDatabase;
  let work: string;
  let lifeboat: LifeboatProcess;
  let browser: Browser;
  let page: Page;
  let api: ReturnType<typeof apiClient>;
  let token: string;
  let shopId: string;
  let brokenId: string;
  const problems: string[] = [];

  beforeAll(async () => {
    source = await createTestDatabase('dashboard_layout');
    await seedSampleData(source, 200);
    work = await mkdtemp(join(tmpdir(), 'lifeboat-dashboard-layout-'));
    await mkdir(screenshots, { recursive: true });
    const slow = await slowPgDump(work);
    await seedPlatformDatabase(join(work, 'data'));
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'data'), PATH: slow.path });
    const owned = await ownedProject(lifeboat, 'layout');
    api = owned.api;
    token = (await apiClient(lifeboat.url, lifeboat.adminToken!)('POST', `/v1/projects/${owned.projectId}/tokens`, { role: 'owner' })).body.token;
    shopId = await registerService(api, owned.projectId, { name: 'a-service-with-a-rather-long-name', database: source.name });
    brokenId = await registerService(api, owned.projectId, { name: 'broken', database: 'no_such_database' });

    // One canceled (a slow dump, canceled while it runs), then one succeeded: rows with and without buttons.
    await slow.setDelay(30);
    const slowBackup = (await api('POST', `/v1/services/${shopId}/backups`)).body.id as string;
    for (const deadline = Date.now() + 20_000; (await api('GET', `/v1/backups/${slowBackup}`)).body.status !== 'running'; ) {
      if (Date.now() > deadline) throw new Error('the slow backup never started running');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await api('POST', `/v1/backups/${slowBackup}/cancel`);
    expect((await waitForBackup(api, slowBackup)).status).toBe('canceled');
    await slow.setDelay(0);
    expect((await waitForBackup(api, (await api('POST', `/v1/services/${shopId}/backups`)).body.id)).status).toBe('succeeded');
    expect((await waitForBackup(api, (await api('POST', `/v1/services/${brokenId}/backups`)).body.id)).status).toBe('failed');

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('response', (response) => {
      if (response.status() === 404) problems.push(`404 ${response.url()}`);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(lifeboat.url);
    await page.getByLabel('Project token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Services' }).waitFor();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await lifeboat?.stop();
    await source?.drop();
    await rm(work, { recursive: true, force: true });
  });

  /** For each table row: its height and each cell's (a cell that left the table layout has its own). */
  const rowHeights = () =>
    page.$$eval('table.backups tbody tr, table.restores tbody tr', (rows) =>
      rows.map((row) => ({ row: row.getBoundingClientRect().height, cells: [...row.children].map((cell) => cell.getBoundingClientRect().height) })),
    );
  /** For each badge: how many line boxes it has, its height and one line's height. */
  const badgeLines = () =>
    page.$$eval('.badge', (badges) =>
      badges.map((badge) => {
        const style = getComputedStyle(badge);
        return { text: badge.textContent, lines: badge.getClientRects().length, height: badge.getBoundingClientRect().height, lineHeight: parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.45 };
      }),
    );

  async function openShop(): Promise<void> {
    await page.goto(`${lifeboat.url}/#/services/${shopId}`);
    await page.getByRole('heading', { name: 'a-service-with-a-rather-long-name' }).waitFor();
    await expect.poll(() => page.locator('table.backups tbody tr').count()).toBe(2);
    await page.getByText('Schedule and retention').waitFor();
  }

  for (const width of [1400, 390]) {
    it(`keeps badges on one line at ${width} px, and at 1400 px every cell as high as its row`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await openShop();
      await page.screenshot({ path: join(screenshots, `service-${width}.png`), fullPage: true });
      const badges = await badgeLines();
      expect(badges.length).toBeGreaterThanOrEqual(2);
      for (const badge of badges) {
        expect(badge.lines, `${badge.text} at ${width} px`).toBe(1);
        // One line: padding and border add a little, a second line would add a whole line.
        expect(badge.height, `${badge.text} at ${width} px`).toBeLessThan(badge.lineHeight * 1.5);
      }
      if (width === 1400) {
        for (const { row, cells } of await rowHeights()) for (const cell of cells) expect(Math.abs(cell - row)).toBeLessThan(1);
      } else {
        // Phone width: rows become cards; nothing may widen the page.
        expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      }
      await page.setViewportSize({ width: 1400, height: 900 });
    });
  }

  it('styles canceled apart from failed', async () => {
    await openShop();
    const colourOf = (selector: string) => page.locator(selector).first().evaluate((badge) => [getComputedStyle(badge).color, getComputedStyle(badge).backgroundColor, getComputedStyle(badge).borderStyle].join(' '));
    const canceled = await colourOf('.badge-canceled');
    await page.goto(`${lifeboat.url}/#/services/${brokenId}`);
    await page.getByText('does not exist').first().waitFor();
    const failed = await colourOf('.badge-failed');
    expect(canceled).not.toBe(failed);
    await page.screenshot({ path: join(screenshots, 'failed-1400.png'), fullPage: true });
  });

  it('shows short backup ids that link to the backup', async () => {
    await openShop();
    const links = page.locator('table.backups a[href^="#/backups/bkp_"]');
    expect(await links.count()).toBe(2);
    const href = (await links.first().getAttribute('href'))!;
    expect((await links.first().innerText()).length).toBeLessThan(href.length - '#/backups/'.length);
    await links.first().click();
    await page.getByRole('heading', { name: `Backup ${href.slice('#/backups/'.length)}` }).waitFor();
  });

  it('serves a favicon, and nothing answered 404 or logged an error', async () => {
    const icon = await fetch(`${lifeboat.url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('./favicon.svg');
    expect(problems).toEqual([]);
  });
});
