import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, call, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

/**
 * What a caller reads when a request is wrong: each field named as a person would
 * (`connection.port`, `target.database`, `serviceId`), never the request part (`body.`) or zod's
 * own words; an engine we cannot back up is `unsupported_engine` however it is spelled. Through
 * the Fastify app on a real PostgreSQL platform database.
 */
describe('API error texts', () => {
  let cp: TestControlPlane;
  let projectId: string;
  let serviceId: string;
  let ownerToken: string;
  const zodWords = /Invalid input|expected \w+, received|Too (big|small)|<=|>=|NaN|Unrecognized key|Invalid option|discriminator|(^|; )(body|params|querystring|headers)\./;
  const connection = { host: '127.0.0.1', port: 5432, database: 'app', user: 'app', password: 'pw' };

  beforeAll(async () => {
    cp = await startTestControlPlane('postgres');
    ({ projectId, serviceId, ownerToken } = await seedProject(cp.app, 'error-texts'));
  });
  afterAll(async () => cp?.close());

  const refused = async (method: 'POST' | 'PUT' | 'GET', url: string, body?: unknown, token = ownerToken) => {
    const answer = await call(cp.app, method, url, { token, body });
    expect(answer.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
    return answer.body.error as { code: string; message: string };
  };

  it('answers an engine it cannot back up with unsupported_engine and the supported ones, however it is spelled', async () => {
    for (const engine of ['oracle', 'MySQL', 'maria_db', '', 'PostgreSQL', ' postgresql', 5, 0, null, true, ['postgresql'], { name: 'postgresql' }, 'x'.repeat(5000)]) {
      const error = await refused('POST', `/v1/projects/${projectId}/services?skipCheck=true`, { name: 'cache', engine, connection });
      expect(error.code, JSON.stringify(engine).slice(0, 40)).toBe('unsupported_engine');
      expect(error.message).toMatch(/^engine .{1,60} is not supported; supported: postgresql, mariadb, mysql$/);
    }
    expect(await refused('POST', `/v1/projects/${projectId}/services?skipCheck=true`, { name: 'cache', engine: 5, connection })).toEqual({
      code: 'unsupported_engine',
      message: 'engine 5 is not supported; supported: postgresql, mariadb, mysql',
    });
    expect(await refused('POST', `/v1/projects/${projectId}/services?skipCheck=true`, { name: 'cache', engine: '', connection })).toEqual({
      code: 'unsupported_engine',
      message: 'engine "" is not supported; supported: postgresql, mariadb, mysql',
    });
    expect(await refused('POST', `/v1/projects/${projectId}/services?skipCheck=true`, { name: 'cache', connection })).toEqual({
      code: 'invalid_request',
      message: 'engine is required (one of: postgresql, mariadb, mysql)',
    });
  });

  it('names the fields of a hostile service registration as a person would', async () => {
    const register = (body: unknown) => refused('POST', `/v1/projects/${projectId}/services?skipCheck=true`, body);
    const cases: [unknown, string][] = [
      [{ name: 'cache', engine: 'postgresql', connection: { ...connection, port: 'abc' } }, 'connection.port must be a whole number from 1 to 65535'],
      [{ name: 'cache', engine: 'postgresql', connection: { ...connection, port: 70000 } }, 'connection.port must be a whole number from 1 to 65535'],
      [{ name: 'cache', engine: 'postgresql', connection: { ...connection, database: 'd'.repeat(64) } }, 'connection.database must be at most 63 characters'],
      [{ name: 'cache', engine: 'postgresql', connection: { ...connection, sslmode: 'disable' } }, 'connection takes only host, port, database, user, password, but has an unknown field sslmode'],
      [{ name: 'cache', engine: 'postgresql', connection, owner: 'me' }, 'the body takes only name, engine, connection, skipUnreadable, excludeTables, but has an unknown field owner'],
      [{ engine: 'postgresql', connection }, 'name is required'],
      [[], 'the body must be a JSON object'],
      [{ name: 'cache', engine: 'postgresql', connection: { ...connection, password: 7 } }, 'connection.password must be a string'],
    ];
    for (const [body, message] of cases) {
      expect(await register(body), JSON.stringify(body).slice(0, 80)).toEqual({ code: 'invalid_request', message });
    }
  });

  it('names the fields of hostile restore, schedule, token, webhook and kill-switch bodies', async () => {
    const backupId = 'bkp_0000000000000000';
    const cases: ['POST' | 'PUT', string, unknown, string, string?][] = [
      ['POST', `/v1/backups/${backupId}/restores`, { target: { kind: 'new_database', database: '1st-copy' } }, 'target.database must be letters, digits and underscores, not starting with a digit'],
      ['POST', `/v1/backups/${backupId}/restores`, { target: { kind: 'new_database', database: 'x'.repeat(64) } }, 'target.database must be at most 63 characters'],
      ['POST', `/v1/backups/${backupId}/restores`, { target: { kind: 'elsewhere' } }, 'target.kind must be one of: new_database, in_place, service'],
      ['POST', `/v1/backups/${backupId}/restores`, { target: { kind: 'in_place', confirm: 'orders-db', force: true } }, 'target takes only kind, confirm, safetyBackup, but has an unknown field force'],
      ['PUT', `/v1/services/${serviceId}/schedule`, { cron: '0 3 * * *', retention: { keepDaily: 1.5 } }, 'retention.keepDaily must be a whole number from 0 to 10000'],
      ['PUT', `/v1/services/${serviceId}/schedule`, { cron: '0 3 * * *', verify: 'yes' }, 'verify must be true or false'],
      ['POST', `/v1/projects/${projectId}/tokens`, { role: 'root' }, 'role must be one of: viewer, member, owner'],
      ['POST', `/v1/projects/${projectId}/tokens`, { role: 'viewer', expiresInDays: 0 }, 'expiresInDays must be a whole number from 1 to 3650'],
      ['POST', `/v1/projects/${projectId}/webhooks`, { url: 'ftp://hooks.example' }, 'url must be an http:// or https:// URL'],
      ['POST', `/v1/projects/${projectId}/webhooks`, { url: 'https://hooks.example', events: ['backup.exploded'] }, 'events[0] must be one of:'],
      ['PUT', '/v1/admin/kill-switch', { engaged: true }, 'reason is required when engaged is true: say why the kill switch is engaged', adminToken],
    ];
    for (const [method, url, body, message, token] of cases) {
      const error = await refused(method, url, body, token);
      expect(error.code).toBe('invalid_request');
      if (message.endsWith(':')) expect(error.message.startsWith(message), error.message).toBe(true);
      else expect(error.message, JSON.stringify(body)).toBe(message);
      expect(error.message).not.toMatch(zodWords);
    }
  });

  it('names path and query parameters and headers by their own names', async () => {
    const cases: [string, string][] = [
      ['/v1/services/orders-db', 'serviceId must be a svc_… id'],
      ['/v1/backups/42', 'backupId must be a bkp_… id'],
      [`/v1/services/${serviceId}/backups?limit=lots`, 'limit must be a whole number from 1 to 200'],
      [`/v1/services/${serviceId}/backups?limit=1&sort=desc`, 'the query string takes only limit, cursor, but has an unknown parameter sort'],
      ['/v1/backups/bkp_0000000000000000?waitSeconds=NaN', 'waitSeconds must be a whole number from 0 to 60'],
      ['/v1/backups/bkp_0000000000000000?waitFor=ever', 'waitFor must be one of: end, verification'],
      ['/v1/audit?since=yesterday', 'since must be a time such as 2026-01-31T12:00:00Z'],
    ];
    for (const [url, message] of cases) expect(await refused('GET', url), url).toEqual({ code: 'invalid_request', message });
    const spaced = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken, headers: { 'idempotency-key': 'has spaces' } });
    expect(spaced.body.error).toEqual({ code: 'invalid_request', message: 'the Idempotency-Key header must be printable ASCII without spaces' });
  });

  it('never words a refusal in zod terms, for any of a sweep of hostile bodies', async () => {
    const hostile = [null, 5, 'text', [], {}, { target: null }, { name: 12, role: {}, cron: [], url: 1, engaged: 'yes', target: { kind: null } }];
    const routes: ['POST' | 'PUT', string, string?][] = [
      ['POST', '/v1/projects', adminToken],
      ['POST', `/v1/projects/${projectId}/tokens`],
      ['POST', `/v1/backups/bkp_0000000000000000/restores`],
      ['PUT', `/v1/services/${serviceId}/schedule`],
      ['POST', `/v1/projects/${projectId}/webhooks`],
      ['PUT', '/v1/admin/kill-switch', adminToken],
    ];
    for (const [method, url, token] of routes) {
      for (const body of hostile) {
        const answer = await call(cp.app, method, url, { token: token ?? ownerToken, body: JSON.stringify(body) });
        expect(answer.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
        expect(answer.body.error.code).toBe('invalid_request');
        expect(answer.body.error.message, `${method} ${url} ${JSON.stringify(body)}`).not.toMatch(zodWords);
      }
    }
  });
});
