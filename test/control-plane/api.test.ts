import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, call, seedProject, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { platformKinds } from '../support/platform-db.js';

describe.each(platformKinds)('HTTP API on %s', (kind) => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane(kind);
  });
  afterAll(async () => cp?.close());

  const count = async (table: 'backups' | 'outbox' | 'services' | 'projects') =>
    Number((await cp.plane.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  describe('tokens and tenancy', () => {
    it('refuses calls without a token or with an unknown one', async () => {
      expect((await call(cp.app, 'GET', '/v1/capabilities')).body.error.code).toBe('unauthorized');
      const unknown = await call(cp.app, 'GET', '/v1/capabilities', { token: 'lbp_nope' });
      expect(unknown.status).toBe(401);
      expect(unknown.body.error.message).toContain('Bearer');
    });

    it('lets only the admin create projects', async () => {
      const { ownerToken } = await seedProject(cp.app, 'tenancy-a');
      const denied = await call(cp.app, 'POST', '/v1/projects', { token: ownerToken, body: { name: 'sneaky' } });
      expect(denied.status).toBe(403);
      expect(denied.body.error.code).toBe('forbidden');
    });

    it("hides another project's objects behind 404, exactly like missing ones", async () => {
      const a = await seedProject(cp.app, 'tenancy-b');
      const b = await seedProject(cp.app, 'tenancy-c');
      for (const [method, url] of [
        ['GET', `/v1/services/${b.serviceId}`],
        ['GET', `/v1/services/${b.serviceId}/backups`],
        ['POST', `/v1/services/${b.serviceId}/backups`],
        ['GET', `/v1/projects/${b.projectId}/services`],
        ['POST', `/v1/projects/${b.projectId}/tokens`],
      ] as const) {
        const response = await call(cp.app, method, url, { token: a.ownerToken, body: method === 'POST' && url.endsWith('tokens') ? { role: 'viewer' } : undefined });
        expect(response.status, `${method} ${url}`).toBe(404);
        expect(response.body.error.code).toBe('not_found');
      }
      expect((await call(cp.app, 'GET', `/v1/services/svc_0000000000000000`, { token: a.ownerToken })).status).toBe(404);
    });

    it('enforces roles within a project', async () => {
      const { projectId, ownerToken, serviceId } = await seedProject(cp.app, 'roles');
      const viewer = (await call(cp.app, 'POST', `/v1/projects/${projectId}/tokens`, { token: ownerToken, body: { role: 'viewer' } })).body.token as string;
      expect((await call(cp.app, 'GET', `/v1/services/${serviceId}`, { token: viewer })).status).toBe(200);
      const create = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: viewer });
      expect(create.status).toBe(403);
      expect(create.body.error.message).toContain('member');
      const register = await call(cp.app, 'POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
        token: viewer,
        body: { name: 'x', engine: 'postgresql', connection: { host: 'h', database: 'd', user: 'u', password: 'p' } },
      });
      expect(register.status).toBe(403);
    });
  });

  describe('services', () => {
    it('registers a service, never returns its password, and keeps it encrypted', async () => {
      const { projectId, ownerToken, serviceId } = await seedProject(cp.app, 'services-a');
      const read = await call(cp.app, 'GET', `/v1/services/${serviceId}`, { token: ownerToken });
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ id: serviceId, projectId, name: 'orders-db', engine: 'postgresql', connection: { host: '127.0.0.1', port: 5432, database: 'orders', user: 'app' } });
      expect(JSON.stringify(read.body)).not.toContain('s3cret-pw');
      const listed = await call(cp.app, 'GET', `/v1/projects/${projectId}/services`, { token: ownerToken });
      expect(JSON.stringify(listed.body)).not.toContain('s3cret-pw');
      const row = await cp.plane.db.selectFrom('services').selectAll().where('id', '=', serviceId).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain('s3cret-pw');
      expect(row.sealed_password).toMatch(/^v1\./);
    });

    it('answers bad input with a clear error and writes nothing', async () => {
      const { projectId, ownerToken } = await seedProject(cp.app, 'services-b');
      const before = await count('services');
      const attempt = (body: unknown) => call(cp.app, 'POST', `/v1/projects/${projectId}/services?skipCheck=true`, { token: ownerToken, body });
      const connection = { host: 'db.internal', port: 5432, database: 'app', user: 'app', password: 'pw' };

      const wrongEngine = await attempt({ name: 'cache', engine: 'oracle', connection });
      expect(wrongEngine.status).toBe(400);
      expect(wrongEngine.body.error).toEqual({ code: 'unsupported_engine', message: 'engine "oracle" is not supported; supported: postgresql, mariadb, mysql' });

      for (const [body, mentions] of [
        [{ engine: 'postgresql', connection }, 'name'],
        [{ name: 'x', engine: 'postgresql', connection: { ...connection, port: 70000 } }, 'connection.port'],
        [{ name: 'x', engine: 'postgresql', connection: { ...connection, host: 'db; rm -rf /' } }, 'connection.host'],
        [{ name: 'x', engine: 'postgresql', connection: { ...connection, user: '--help' } }, 'connection.user'],
        [{ name: 'Bad Name', engine: 'postgresql', connection }, 'name'],
        [{ name: 'x', engine: 'postgresql', connection, extra: 1 }, 'extra'],
      ] as const) {
        const response = await attempt(body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body.error.code).toBe('invalid_request');
        expect(response.body.error.message).toContain(mentions);
      }
      const malformed = await attempt('{"name": "x",');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error).toEqual({ code: 'invalid_request', message: 'the body is not valid JSON' });
      const huge = await attempt({ name: 'x', engine: 'postgresql', connection: { ...connection, password: 'p'.repeat(100_000) } });
      expect(huge.status).toBe(413);
      expect(await count('services')).toBe(before);
    });

    it('registers a mysql service as mariadb, on the engine\'s own port when none is given', async () => {
      const { projectId, ownerToken } = await seedProject(cp.app, 'services-mysql');
      const registered = await call(cp.app, 'POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
        token: ownerToken,
        body: { name: 'shop', engine: 'mysql', connection: { host: 'db.internal', database: 'shop', user: 'shop', password: 'pw' } },
      });
      expect(registered.status).toBe(201);
      expect(registered.body).toMatchObject({ engine: 'mariadb', connection: { host: 'db.internal', port: 3306, database: 'shop', user: 'shop' } });
      const postgres = await call(cp.app, 'POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
        token: ownerToken,
        body: { name: 'orders', engine: 'postgresql', connection: { host: 'db.internal', database: 'orders', user: 'orders', password: 'pw' } },
      });
      expect(postgres.body).toMatchObject({ engine: 'postgresql', connection: { port: 5432 } });
    });

    it('refuses a second service with the same name in a project', async () => {
      const { projectId, ownerToken } = await seedProject(cp.app, 'services-c');
      const again = await call(cp.app, 'POST', `/v1/projects/${projectId}/services?skipCheck=true`, {
        token: ownerToken,
        body: { name: 'orders-db', engine: 'postgresql', connection: { host: 'h', database: 'd', user: 'u', password: '' } },
      });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('service_name_taken');
    });
  });

  describe('creating backups', () => {
    it('records the backup and its command together, and answers 202 with the backup', async () => {
      const { serviceId, ownerToken, projectId } = await seedProject(cp.app, 'create-a');
      const created = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
      expect(created.status).toBe(202);
      expect(created.headers.location).toBe(`/v1/backups/${created.body.id}`);
      expect(created.body).toMatchObject({ serviceId, projectId, status: 'requested', trigger: 'manual', sizeBytes: null, failure: null });
      const outbox = await cp.plane.db.selectFrom('outbox').selectAll().where('type', '=', 'backup.requested').execute();
      const command = outbox.map((row) => row.message as { payload: { backupId: string; sealedPassword: string } }).find((m) => m.payload.backupId === created.body.id);
      expect(command).toBeDefined();
      expect(JSON.stringify(command)).not.toContain('s3cret-pw');
      const read = await call(cp.app, 'GET', `/v1/backups/${created.body.id}`, { token: ownerToken });
      expect(read.body).toEqual(created.body);
    });

    it('returns the same backup for the same Idempotency-Key', async () => {
      const { serviceId, ownerToken } = await seedProject(cp.app, 'create-b');
      const headers = { 'idempotency-key': 'nightly-2026-11-24' };
      const first = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken, headers });
      const second = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken, headers });
      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.body.id).toBe(first.body.id);
      const rows = await cp.plane.db.selectFrom('backups').select('id').where('service_id', '=', serviceId).execute();
      expect(rows).toHaveLength(1);
    });

    it('answers 409 backup_in_progress while one is in progress', async () => {
      const { serviceId, ownerToken } = await seedProject(cp.app, 'create-c');
      const first = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
      const second = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe('backup_in_progress');
      expect(second.body.error.message).toContain(first.body.id);
    });

    it('answers 409 restore_in_progress beside a restore, writing nothing', async () => {
      const { serviceId, ownerToken, projectId } = await seedProject(cp.app, 'create-g');
      const earlier = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
      await cp.plane.db.updateTable('backups').set({ status: 'succeeded' }).where('id', '=', earlier.body.id).execute();
      await cp.plane.db
        .insertInto('restores')
        .values({ id: 'rst_apitest000000001', project_id: projectId, service_id: serviceId, backup_id: earlier.body.id, status: 'running', target: JSON.stringify({ kind: 'new_database', database: 'copy' }), safety_backup_id: null, requested_by: 'test', started_at: null, finished_at: null, failure_code: null, failure_message: null })
        .execute();
      const before = await Promise.all([count('backups'), count('outbox')]);
      const refused = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toEqual({ code: 'restore_in_progress', message: 'restore rst_apitest000000001 of orders-db is in progress; back up when it has finished' });
      expect(await Promise.all([count('backups'), count('outbox')])).toEqual(before);

      await cp.plane.db.updateTable('restores').set({ status: 'succeeded' }).where('id', '=', 'rst_apitest000000001').execute();
      expect((await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken })).status).toBe(202);
    });

    it('lets exactly one of two simultaneous requests through', async () => {
      const { serviceId, ownerToken } = await seedProject(cp.app, 'create-d');
      const before = await count('outbox');
      const responses = await Promise.all([1, 2].map(() => call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken })));
      expect(responses.map((r) => r.status).sort()).toEqual([202, 409]);
      expect(await count('outbox')).toBe(before + 1);
    });

    it('lists backups newest first, a page at a time', async () => {
      const { serviceId, ownerToken } = await seedProject(cp.app, 'create-e');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const created = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
        ids.push(created.body.id);
        // Finish it so the next one may start.
        await cp.plane.db.updateTable('backups').set({ status: 'failed' }).where('id', '=', created.body.id).execute();
      }
      const first = await call(cp.app, 'GET', `/v1/services/${serviceId}/backups?limit=2`, { token: ownerToken });
      expect(first.body.backups.map((b: { id: string }) => b.id)).toEqual([ids[2], ids[1]]);
      const second = await call(cp.app, 'GET', `/v1/services/${serviceId}/backups?limit=2&cursor=${first.body.nextCursor}`, { token: ownerToken });
      expect(second.body.backups.map((b: { id: string }) => b.id)).toEqual([ids[0]]);
      expect(second.body.nextCursor).toBeNull();
      expect((await call(cp.app, 'GET', `/v1/services/${serviceId}/backups?cursor=garbage`, { token: ownerToken })).status).toBe(400);
    });

    it('fails closed when an operator engages the kill switch, and says why', async () => {
      const { serviceId, ownerToken } = await seedProject(cp.app, 'create-f');
      const engage = await call(cp.app, 'PUT', '/v1/admin/kill-switch', { token: adminToken, body: { engaged: true, reason: 'storage maintenance' } });
      expect(engage.status).toBe(200);
      expect(engage.body).toMatchObject({ engaged: true, reason: 'storage maintenance', source: 'operator', changedBy: 'admin' });
      expect((await call(cp.app, 'PUT', '/v1/admin/kill-switch', { token: ownerToken, body: { engaged: false } })).status).toBe(403);
      try {
        const before = await count('backups');
        const refused = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
        expect(refused.status).toBe(503);
        expect(refused.body.error).toEqual({ code: 'backups_unavailable', message: 'backups are unavailable: the kill switch is engaged: storage maintenance' });
        expect(await count('backups')).toBe(before);
        const capabilities = await call(cp.app, 'GET', '/v1/capabilities', { token: ownerToken });
        expect(capabilities.body.backups).toEqual({ available: false, reason: 'the kill switch is engaged: storage maintenance' });
      } finally {
        await call(cp.app, 'PUT', '/v1/admin/kill-switch', { token: adminToken, body: { engaged: false } });
      }
      expect((await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken })).status).toBe(202);
    });
  });

  it('reports capabilities', async () => {
    const capabilities = await call(cp.app, 'GET', '/v1/capabilities', { token: adminToken });
    expect(capabilities.body).toEqual({
      backups: { available: true, reason: null },
      storage: { kind: 'filesystem', configured: true },
      bus: { kind: 'embedded' },
      runner: { kind: 'local' },
      engines: [
        {
          name: 'postgresql',
          label: 'PostgreSQL',
          aliases: [],
          defaultPort: 5432,
          capabilities: { restoreInPlace: true, restoreNewDatabase: true, contents: true, drills: false, parallelRestore: true, restorePlan: true },
          drills: { configured: false, setting: 'LIFEBOAT_VERIFY_DATABASE_URL' },
          tools: null,
        },
        {
          name: 'mariadb',
          label: 'MariaDB / MySQL',
          aliases: ['mysql'],
          defaultPort: 3306,
          capabilities: { restoreInPlace: true, restoreNewDatabase: true, contents: true, drills: false, parallelRestore: false, restorePlan: false },
          drills: { configured: false, setting: 'LIFEBOAT_VERIFY_MARIADB_URL' },
          tools: null,
        },
      ],
    });
  });

  it('counts requests and backups in the Prometheus metrics', async () => {
    const metrics = await cp.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/lifeboat_backups_requested_total\{trigger="manual"\} [1-9]/);
    expect(metrics.body).toContain('lifeboat_http_request_duration_seconds_count{method="POST",route="/v1/services/:serviceId/backups",status="202"}');
  });

  it('serves health, readiness and the OpenAPI document without a token', async () => {
    expect((await call(cp.app, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await call(cp.app, 'GET', '/readyz')).body).toEqual({ status: 'ready' });
    const openapi = await call(cp.app, 'GET', '/openapi.json');
    expect(openapi.body.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.body.paths)).toContain('/v1/services/{serviceId}/backups');
  });
});

describe('failing closed from configuration', () => {
  it('refuses backups without storage and with the kill switch from configuration, writing nothing', async () => {
    for (const options of [{ storage: false }, { killSwitchFromConfiguration: true }]) {
      const cp = await startTestControlPlane('postgres', options);
      try {
        const { serviceId, ownerToken } = await seedProject(cp.app);
        const refused = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
        expect(refused.status).toBe(503);
        expect(refused.body.error.code).toBe('backups_unavailable');
        const capabilities = await call(cp.app, 'GET', '/v1/capabilities', { token: ownerToken });
        expect(capabilities.body.backups.available).toBe(false);
        expect(capabilities.body.backups.reason).toBe(options.storage === false ? 'object storage is not configured (set LIFEBOAT_STORAGE_URL)' : 'the kill switch is engaged: engaged by configuration (LIFEBOAT_KILL_SWITCH=1)');
        expect(await cp.plane.db.selectFrom('backups').select('id').execute()).toEqual([]);
        expect(await cp.plane.db.selectFrom('outbox').select('id').execute()).toEqual([]);
        if (options.killSwitchFromConfiguration) {
          const release = await call(cp.app, 'PUT', '/v1/admin/kill-switch', { token: adminToken, body: { engaged: false } });
          expect(release.status).toBe(400);
          expect(release.body.error.message).toContain('LIFEBOAT_KILL_SWITCH');
        }
      } finally {
        await cp.close();
      }
    }
  });
});
