import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope } from '../../src/contracts/index.js';
import { applyBackupEvent } from '../../src/control-plane/backup-events.js';
import { verifyWebhook } from '../../src/control-plane/webhook-signature.js';
import { WebhookDispatcher } from '../../src/control-plane/webhooks.js';
import { call, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { freePort } from '../support/password-postgres.js';
import { silentLogger } from '../support/platform-db.js';

/** Webhooks to a real HTTP receiver: queued with the event, signed, retried, recorded. */
describe('webhooks (PostgreSQL)', () => {
  let cp: TestControlPlane;
  let receiver: Server;
  let receiverUrl: string;
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.statusCode = failuresLeft-- > 0 ? 500 : 204;
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/lifeboat`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
    await cp?.close();
  });

  const dispatcher = () =>
    new WebhookDispatcher({ db: cp.plane.db, key: cp.plane.keys.credentials, logger: silentLogger, networkPolicy: cp.plane.settings.networkPolicy, retryDelayMs: () => 0, maxAttempts: 4 });

  async function failBackup(serviceId: string, token: string, projectId: string): Promise<string> {
    const created = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token });
    await applyBackupEvent(
      cp.plane.db,
      envelope('backup.failed', { correlationId: created.body.id, projectId }, {
        backupId: created.body.id,
        failure: { code: 'auth_failed' as const, message: 'password authentication failed for user "app"' },
        startedAt: null,
        finishedAt: new Date().toISOString(),
      }),
    );
    return created.body.id;
  }

  it('delivers a signed event, retrying until the receiver accepts it', async () => {
    const { projectId, ownerToken, serviceId } = await seedProject(cp.app, 'hooks');
    const hook = await call(cp.app, 'POST', `/v1/projects/${projectId}/webhooks`, { token: ownerToken, body: { url: receiverUrl, events: ['backup.failed'] } });
    expect(hook.status).toBe(201);
    expect(hook.body.secret).toMatch(/^whsec_/);
    expect(JSON.stringify((await call(cp.app, 'GET', `/v1/projects/${projectId}/webhooks`, { token: ownerToken })).body)).not.toContain(hook.body.secret);

    failuresLeft = 2;
    received.length = 0;
    const backupId = await failBackup(serviceId, ownerToken, projectId);
    for (let i = 0; i < 5; i++) await dispatcher().deliverDue();

    expect(received).toHaveLength(3);
    const last = received.at(-1)!;
    expect(last.headers['lifeboat-event']).toBe('backup.failed');
    expect(verifyWebhook(hook.body.secret, last.body, String(last.headers['lifeboat-signature']), new Date())).toBe(true);
    expect(JSON.parse(last.body)).toMatchObject({ type: 'backup.failed', projectId, data: { backup: { id: backupId, status: 'failed', failure: { code: 'auth_failed' } } } });

    const deliveries = await call(cp.app, 'GET', `/v1/webhooks/${hook.body.id}/deliveries`, { token: ownerToken });
    expect(deliveries.body.deliveries).toHaveLength(1);
    expect(deliveries.body.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 204, lastError: null });
  });

  it('gives up after the last attempt and says why', async () => {
    const { projectId, ownerToken, serviceId } = await seedProject(cp.app, 'hooks-dead');
    const hook = await call(cp.app, 'POST', `/v1/projects/${projectId}/webhooks`, { token: ownerToken, body: { url: `http://127.0.0.1:${await freePort()}/nothing` } });
    await failBackup(serviceId, ownerToken, projectId);
    for (let i = 0; i < 6; i++) await dispatcher().deliverDue();
    const [delivery] = (await call(cp.app, 'GET', `/v1/webhooks/${hook.body.id}/deliveries`, { token: ownerToken })).body.deliveries;
    expect(delivery).toMatchObject({ status: 'failed', attempts: 4, lastStatus: null, nextAttemptAt: null });
    expect(delivery.lastError).toMatch(/^could not reach the receiver/);
  });

  it('refuses a URL that is not http(s), and hides other projects\' webhooks', async () => {
    const a = await seedProject(cp.app, 'hooks-a');
    const b = await seedProject(cp.app, 'hooks-b');
    const bad = await call(cp.app, 'POST', `/v1/projects/${a.projectId}/webhooks`, { token: a.ownerToken, body: { url: 'file:///etc/passwd' } });
    expect(bad.status).toBe(400);
    const hook = await call(cp.app, 'POST', `/v1/projects/${b.projectId}/webhooks`, { token: b.ownerToken, body: { url: receiverUrl } });
    expect((await call(cp.app, 'GET', `/v1/webhooks/${hook.body.id}/deliveries`, { token: a.ownerToken })).status).toBe(404);
    expect((await call(cp.app, 'DELETE', `/v1/webhooks/${hook.body.id}`, { token: a.ownerToken })).status).toBe(404);
  });
});
