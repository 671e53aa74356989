import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type LifeboatProcess, startLifeboat, waitForBackup } from '../support/lifeboat-process.js';
import { seedPlatformDatabase } from '../support/platform-db.js';
import { createTestDatabase, postgresHost, postgresPort, postgresUser, seedSampleData, type TestDatabase } from '../support/postgres.js';

/**
 * Security headers on a real `lifeboat serve` over real HTTP: the dashboard under a strict
 * Content-Security-Policy, no framing, no sniffing, no referrer, and no cached copy of any API
 * answer (tokens, webhook secrets and download links above all).
 */
describe('security headers', () => {
  let work: string;
  let source: TestDatabase;
  let lifeboat: LifeboatProcess;
  let owner: ReturnType<typeof apiClient>;
  let ownerToken: string;
  let projectId: string;
  let backupId: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lifeboat-headers-'));
    source = await createTestDatabase('headers_source');
    await seedSampleData(source, 50);
    await seedPlatformDatabase(join(work, 'data'));
    lifeboat = await startLifeboat('serve', { LIFEBOAT_DATA_DIR: join(work, 'data') });
    const admin = apiClient(lifeboat.url, lifeboat.adminToken!);
    projectId = (await admin('POST', '/v1/projects', { name: 'headers' })).body.id;
    ownerToken = (await admin('POST', `/v1/projects/${projectId}/tokens`, { role: 'owner' })).body.token;
    owner = apiClient(lifeboat.url, ownerToken);
    const service = await owner('POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
      name: 'shop',
      engine: 'postgresql',
      connection: { host: postgresHost, port: postgresPort, database: source.name, user: postgresUser, password: '' },
    });
    backupId = (await owner('POST', `/v1/services/${service.body.id}/backups`)).body.id;
    expect((await waitForBackup(owner, backupId)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await lifeboat?.stop();
    await source?.drop();
    await rm(work, { recursive: true, force: true });
  });

  const raw = (path: string, init: RequestInit = {}) => fetch(`${lifeboat.url}${path}`, init);
  const asOwner = (method: string, path: string, body?: unknown) =>
    raw(path, {
      method,
      headers: { authorization: `Bearer ${ownerToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  function directives(header: string | null): Map<string, string> {
    return new Map((header ?? '').split(';').map((part) => part.trim().split(/\s+/)).map(([name, ...values]) => [name!, values.join(' ')]));
  }

  it('serves the dashboard under a strict CSP that its built page satisfies: no inline script or style', async () => {
    const page = await raw('/');
    expect(page.status).toBe(200);
    const csp = directives(page.headers.get('content-security-policy'));
    expect(csp.get('default-src')).toBe("'self'");
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('style-src')).toBe("'self'");
    expect(csp.get('object-src')).toBe("'none'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(csp.get('base-uri')).toBe("'none'");
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe-|upgrade-insecure-requests/);
    const html = await page.text();
    // Every script has a src on this origin, and nothing is styled inline: nothing the CSP would block.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc="\.?\/assets\//);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    const asset = /src="\.?(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const script = await raw(asset);
    expect(script.status).toBe(200);
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect(script.headers.get('content-type')).toMatch(/javascript/);
  });

  it('forbids framing, sniffing and referrers on every answer: the dashboard, the API, errors, unknown paths', async () => {
    const answers = await Promise.all([raw('/'), raw('/v1/capabilities'), raw('/v1/capabilities', { headers: { authorization: 'Bearer nope' } }), raw('/no/such/path'), raw('/healthz')]);
    for (const answer of answers) {
      expect(answer.headers.get('x-content-type-options'), answer.url).toBe('nosniff');
      expect(answer.headers.get('referrer-policy'), answer.url).toBe('no-referrer');
      expect(answer.headers.get('x-frame-options'), answer.url).toBe('DENY');
      expect(directives(answer.headers.get('content-security-policy')).get('frame-ancestors'), answer.url).toBe("'none'");
      // TLS is terminated in front of Lifeboat; HSTS is that proxy's to send.
      expect(answer.headers.get('strict-transport-security'), answer.url).toBeNull();
    }
  });

  it('keeps no cached copy of answers that carry a token, a webhook secret or a download link', async () => {
    const issued = await asOwner('POST', `/v1/projects/${projectId}/tokens`, { role: 'viewer' });
    expect(issued.status).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const webhook = await asOwner('POST', `/v1/projects/${projectId}/webhooks`, { url: 'https://hooks.example.com/lifeboat' });
    expect(webhook.status).toBe(201);
    expect(((await webhook.json()) as { secret: string }).secret).toBeTruthy();
    expect(webhook.headers.get('cache-control')).toBe('no-store');
    const link = await asOwner('POST', `/v1/backups/${backupId}/download-url`);
    expect(link.status).toBe(200);
    expect(link.headers.get('cache-control')).toBe('no-store');
    const { url } = (await link.json()) as { url: string };
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(download.headers.get('cache-control')).toMatch(/no-store/);
    await download.arrayBuffer();
  });

  it('answers every /v1 JSON read and error with no-store, and the live stream too', async () => {
    for (const [method, path] of [
      ['GET', '/v1/whoami'],
      ['GET', `/v1/backups/${backupId}`],
      ['GET', `/v1/audit?limit=5`],
      ['GET', '/v1/backups/bkp_0000000000000000'],
      ['GET', '/v1/audit?cursor=99999999999999999999'],
    ] as const) {
      const answer = await asOwner(method, path);
      expect(answer.headers.get('cache-control'), path).toBe('no-store');
      expect(answer.headers.get('content-type'), path).toMatch(/application\/json/);
    }
    expect((await raw('/v1/whoami')).headers.get('cache-control')).toBe('no-store');
    const controller = new AbortController();
    const stream = await fetch(`${lifeboat.url}/v1/events`, { headers: { authorization: `Bearer ${ownerToken}` }, signal: controller.signal });
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    expect(stream.headers.get('cache-control')).toBe('no-store');
    expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
    controller.abort();
  });
});
