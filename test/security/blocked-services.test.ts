import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportBlockedServices } from '../../src/control-plane/service-block.js';
import { networkPolicyFor } from '../../src/network-policy/network-policy.js';
import { call, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

/**
 * A service registered while the operator allowed its address (or before the network policy
 * existed) is not run silently once the policy refuses it: its view says `blocked`, the
 * start-up report names it, and a backup of it is refused with `service_blocked`.
 */
describe('services whose stored address the network policy now refuses', () => {
  let cp: TestControlPlane;
  let seeded: { projectId: string; ownerToken: string; serviceId: string };

  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
    seeded = await seedProject(cp.app, 'loopback');
    // The operator restarts the API with the split roles' default policy: loopback is refused now.
    cp.plane.settings.networkPolicy = networkPolicyFor('api', undefined, []);
  });
  afterAll(async () => cp?.close());

  it('shows the block, refuses new backups, and names the service at start-up', async () => {
    const shown = await call(cp.app, 'GET', `/v1/services/${seeded.serviceId}`, { token: seeded.ownerToken });
    expect(shown.body.blocked).toMatchObject({ code: 'target_not_allowed', message: expect.stringContaining('LIFEBOAT_SERVICE_NETWORKS') });
    const listed = await call(cp.app, 'GET', `/v1/projects/${seeded.projectId}/services`, { token: seeded.ownerToken });
    expect(listed.body.services[0].blocked).toMatchObject({ code: 'target_not_allowed' });

    const refused = await call(cp.app, 'POST', `/v1/services/${seeded.serviceId}/backups`, { token: seeded.ownerToken });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('service_blocked');

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    await reportBlockedServices(cp.plane.db, logger, cp.plane.settings.networkPolicy);
    expect(lines.some((line) => line.includes(`(${seeded.serviceId}) is blocked`))).toBe(true);

    // Where the operator allows the network, the same service runs again.
    cp.plane.settings.networkPolicy = networkPolicyFor('api', '127.0.0.0/8', []);
    expect((await call(cp.app, 'GET', `/v1/services/${seeded.serviceId}`, { token: seeded.ownerToken })).body.blocked).toBeNull();
    expect((await call(cp.app, 'POST', `/v1/services/${seeded.serviceId}/backups`, { token: seeded.ownerToken })).status).toBe(202);
  });
});
