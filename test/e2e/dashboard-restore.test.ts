import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { apiClient, type LifeboatProcess, ownedProject, registerService, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { adminQuery, createTestDatabase, seedSampleData, tableFingerprints, type TestDatabase } from '../support/postgres.js';

/** Screenshots go outside the repository: a person looks at them, the assertions decide. */
const screenshots = join(tmpdir(), 'lifeboat-test-output', 'dashboard-restore');

/**
 * The restore dialog in real Chromium against a real `lifeboat serve` and PostgreSQL: over another
 * service of the project (its data afterwards equal to the backup's source), what an overwrite
 * would drop, a backup of an archived service (never over itself), and the typed-name guard.
 */
describe('dashboard restore dialog', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let work: string;
  let lifeboat: LifeboatProcess;
  let browser: Browser;
  let page: Page;
  let api: ReturnType<typeof apiClient>;
  let shopId: string;
  let copyId: string;
  let backupId: string;
  const created: string[] = [];

  beforeAll(async () => {
    source = await createTestDatabase('dashboard_restore_source');
    await seedSampleData(source, 300);
    // The target holds other data of the same shape: afterwards it must equal the source, not be a mix.
    target = await createTestDatabase('dashboard_restore_target');
    await seedSampleData(target, 20);
    await target.query("CREATE TABLE only_here (id int); INSERT INTO only_here VALUES (1)");
    work = await mkdtemp(join(tmpdir(), 'lifeboat-dashboard-restore-'));
    await mkdir(screenshots, { recursive: true });
    await seedPlatformDatabase(join(work, 'data'));
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'data') });
    const owned = await ownedProject(lifeboat, 'restores');
    api = owned.api;
    const token = (await apiClient(lifeboat.url, lifeboat.adminToken!)('POST', `/v1/projects/${owned.projectId}/tokens`, { role: 'owner' })).body.token as string;
    shopId = await registerService(api, owned.projectId, { name: 'shop', database: source.name });
    copyId = await registerService(api, owned.projectId, { name: 'copy', database: target.name });
    // An archived service of the same engine: never a target.
    const oldId = await registerService(api, owned.projectId, { name: 'old', database: target.name });
    expect((await api('DELETE', `/v1/services/${oldId}`)).status).toBe(204);
    backupId = (await api('POST', `/v1/services/${shopId}/backups`)).body.id as string;
    expect((await waitForBackup(api, backupId)).status).toBe('succeeded');

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(lifeboat.url);
    await page.getByLabel('Project token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Services' }).waitFor();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await lifeboat?.stop();
    for (const name of created) await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await source?.drop();
    await target?.drop();
    await rm(work, { recursive: true, force: true });
  });

  async function openRestoreDialog(serviceName: string, serviceId: string) {
    // A hash-only change does not load the page again: reload, so the service is read afresh.
    await page.goto(`${lifeboat.url}/#/services/${serviceId}`);
    await page.reload();
    await page.getByRole('heading', { name: serviceName }).waitFor();
    await page.locator(`tr[data-backup-id="${backupId}"]`).getByRole('button', { name: 'Restore…' }).click();
    return page.getByRole('dialog');
  }

  /**
   * The plan's answer or the line saying it could not be had. The restore-plan route is built
   * apart; until it lands this sees the "could not tell" line. Tighten to the message then.
   */
  async function planShown(dialog: ReturnType<Page['getByRole']>): Promise<string> {
    const note = dialog.locator('.restore-plan');
    await expect.poll(() => note.innerText(), { timeout: 30_000 }).toMatch(/^(will drop \d+ objects? not in the backup: |drops nothing|could not tell what the restore would drop: \S)/);
    return note.innerText();
  }

  async function screenshotBothWidths(name: string) {
    await page.screenshot({ path: join(screenshots, `${name}-1400.png`) });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(screenshots, `${name}-390.png`) });
    await page.setViewportSize({ width: 1400, height: 900 });
  }

  it('restores a backup over another service of the project, after its name is typed, and the data there equals the source', async () => {
    expect(await tableFingerprints(target)).not.toEqual(await tableFingerprints(source));
    const dialog = await openRestoreDialog('shop', shopId);
    await dialog.getByLabel('Over another service of this project').check();
    const choice = dialog.getByLabel('Service to overwrite');
    // Only the active service of the engine that is not the backup's own: not shop, not the archived one.
    expect(await choice.locator('option').allInnerTexts()).toEqual([expect.stringMatching(/^copy \(/)]);
    await planShown(dialog);
    const restore = dialog.getByRole('button', { name: 'Restore' });
    expect(await restore.isDisabled()).toBe(true);
    await dialog.getByLabel('Type copy to overwrite its data').fill('shop');
    expect(await restore.isDisabled()).toBe(true);
    await dialog.getByLabel('Type copy to overwrite its data').fill('copy');
    await expect.poll(() => restore.isDisabled()).toBe(false);
    await screenshotBothWidths('restore-over-service');
    await restore.click();
    await expect.poll(() => dialog.count()).toBe(0);

    // Followed live on the page it was started from, though it is listed under the target.
    const row = page.locator('table.restores tr', { hasText: 'another service' });
    await row.getByText('Succeeded').waitFor({ timeout: 60_000 });
    expect(await row.locator('a[href^="#/services/"]').getAttribute('href')).toBe(`#/services/${copyId}`);
    const listed = (await api('GET', `/v1/services/${copyId}/restores`)).body.restores;
    expect(listed).toMatchObject([{ backupId, status: 'succeeded', target: { kind: 'service', serviceId: copyId } }]);
    // The safety backup of copy's data, taken first.
    expect(listed[0].safetyBackupId).toMatch(/^bkp_/);
    const restored = await tableFingerprints(target);
    const original = await tableFingerprints(source);
    for (const table of ['public.customers', 'public.orders', 'public.events']) expect(restored[table]).toEqual(original[table]);

    // On the target's page it reads as restored from elsewhere, not as a link to itself.
    await page.goto(`${lifeboat.url}/#/services/${copyId}`);
    await page.getByRole('heading', { name: 'copy' }).waitFor();
    await page.locator('table.restores tr', { hasText: "this service, from another one's backup" }).getByText('Succeeded').waitFor();
  });

  it('says what an in-place restore would drop, or that it could not tell, without blocking it', async () => {
    const dialog = await openRestoreDialog('shop', shopId);
    await dialog.getByLabel('Over shop itself').check();
    await planShown(dialog);
    await dialog.getByLabel('Type shop to overwrite its data').fill('shop');
    await expect.poll(() => dialog.getByRole('button', { name: 'Restore' }).isDisabled()).toBe(false);
    await screenshotBothWidths('restore-in-place');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
  });

  it('restores a backup of an archived service over another one, never over itself', async () => {
    expect((await api('DELETE', `/v1/services/${shopId}`)).status).toBe(204);
    const dialog = await openRestoreDialog('shop', shopId);
    const inPlace = dialog.getByLabel('Over shop itself');
    expect(await inPlace.isDisabled()).toBe(true);
    await dialog.getByText('shop is archived: its backups restore into a new database or over another service, never over itself').waitFor();
    // Disabled only while the project's services are listed.
    await expect.poll(() => dialog.getByLabel('Over another service of this project').isDisabled()).toBe(false);
    await dialog.getByLabel('Over another service of this project').check();
    await planShown(dialog);
    await screenshotBothWidths('restore-archived');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('keeps the other-service option visible, disabled, when there is none, and restores into a new database', async () => {
    expect((await api('DELETE', `/v1/services/${copyId}`)).status).toBe(204);
    const dialog = await openRestoreDialog('shop', shopId);
    await dialog.getByText('no other service of this engine').waitFor();
    expect(await dialog.getByLabel('Over another service of this project').isDisabled()).toBe(true);
    const database = `${source.name}_again`;
    created.push(database);
    await dialog.getByLabel('New database name').fill(database);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await page.locator('table.restores tr', { hasText: database }).getByText('Succeeded').waitFor({ timeout: 60_000 });
    expect((await adminQuery('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [database])).rows[0].n).toBe(1);
  });

  it('purges an archived service only once its name is typed exactly', async () => {
    await page.goto(`${lifeboat.url}/#/archived`);
    await page.getByRole('heading', { name: 'Archived services' }).waitFor();
    await page.locator(`tr[data-service-id="${copyId}"]`).getByRole('button', { name: 'Purge…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Purge copy' });
    const purge = dialog.getByRole('button', { name: 'Purge' });
    await dialog.getByLabel('Type copy to purge it').fill('Copy');
    expect(await purge.isDisabled()).toBe(true);
    await dialog.getByLabel('Type copy to purge it').fill('copy');
    await purge.click();
    // copy's one backup: the safety backup taken before the restore over it.
    await page.getByRole('status').getByText('Purged copy: 1 backups removed.').waitFor();
    expect((await api('GET', `/v1/services/${copyId}`)).status).toBe(404);
  });
});
