import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, seedProject, startTestControlPlane, succeededTestBackup, type TestControlPlane } from '../support/control-plane.js';
import { platformKinds } from '../support/platform-db.js';

/** Services as long-lived catalog objects (issue 17): change, archive, purge, restore into another, duplicates. */
describe.each(platformKinds)('service lifecycle on %s', (kind) => {
  let cp: TestControlPlane;
  beforeAll(async () => {
    cp = await startTestControlPlane(kind);
  });
  afterAll(async () => cp?.close());

  const connection = { host: '127.0.0.1', port: 5432, database: 'orders', user: 'app', password: 's3cret-pw' };
  const register = (projectId: string, token: string, name: string, database = 'other') =>
    call(cp.app, 'POST', `/v1/projects/${projectId}/services?skipCheck=true`, { token, body: { name, engine: 'postgresql', connection: { ...connection, database } } });

  it('changes a service with PATCH, validated as at registration and audited without the password', async () => {
    const seeded = await seedProject(cp.app, 'patch-a');
    const { ownerToken: token, serviceId } = seeded;
    const bad = await call(cp.app, 'PATCH', `/v1/services/${serviceId}`, { token, body: { connection: { database: 'a=b host=evil' } } });
    expect(bad.status).toBe(400);
    expect((await call(cp.app, 'PATCH', `/v1/services/${serviceId}`, { token, body: {} })).status).toBe(400);
    const changed = await call(cp.app, 'PATCH', `/v1/services/${serviceId}?skipCheck=true`, { token, body: { name: 'orders-main', connection: { port: 6432, password: 'n3w-secret' } } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'orders-main', connection: { port: 6432, database: 'orders' }, warnings: [] });
    const audit = await call(cp.app, 'GET', `/v1/audit?targetId=${serviceId}&action=service.updated`, { token });
    expect(audit.body.entries[0].details.changed).toEqual(['name', 'connection.port', 'connection.password']);
    expect(JSON.stringify(audit.body)).not.toContain('n3w-secret');
    await register(seeded.projectId, token, 'taken');
    const clash = await call(cp.app, 'PATCH', `/v1/services/${serviceId}`, { token, body: { name: 'taken' } });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('service_name_taken');
    // What its backups leave out is changed the same way, and audited by name.
    const settings = await call(cp.app, 'PATCH', `/v1/services/${serviceId}?skipCheck=true`, { token, body: { skipUnreadable: true, excludeTables: ['public.audit_log'] } });
    expect(settings.body).toMatchObject({ skipUnreadable: true, excludeTables: ['public.audit_log'] });
    expect((await call(cp.app, 'GET', `/v1/services/${serviceId}`, { token })).body).toMatchObject({ skipUnreadable: true, excludeTables: ['public.audit_log'] });
    const settingsAudit = await call(cp.app, 'GET', `/v1/audit?targetId=${serviceId}&action=service.updated`, { token });
    expect(settingsAudit.body.entries[0].details.changed).toEqual(['skipUnreadable', 'excludeTables']);
    expect((await call(cp.app, 'PATCH', `/v1/services/${serviceId}`, { token, body: { excludeTables: ['bad\u0007name'] } })).status).toBe(400);
  });

  it('archives on removal: backups stay listable and downloadable, nothing new starts, the name is free again', async () => {
    const seeded = await seedProject(cp.app, 'archive-a');
    const { ownerToken: token, serviceId, projectId } = seeded;
    const backupId = await succeededTestBackup(cp, seeded);
    expect((await call(cp.app, 'DELETE', `/v1/services/${serviceId}`, { token })).status).toBe(204);
    expect((await call(cp.app, 'GET', `/v1/projects/${projectId}/services`, { token })).body.services).toEqual([]);
    const archived = await call(cp.app, 'GET', `/v1/projects/${projectId}/services?archived=true`, { token });
    expect(archived.body.services.map((service: { id: string }) => service.id)).toEqual([serviceId]);
    expect(archived.body.services[0].archivedAt).toEqual(expect.any(String));
    expect((await call(cp.app, 'GET', `/v1/services/${serviceId}/backups`, { token })).body.backups.map((backup: { id: string }) => backup.id)).toEqual([backupId]);
    expect((await call(cp.app, 'POST', `/v1/backups/${backupId}/download-url`, { token })).status).toBe(200);
    const backup = await call(cp.app, 'POST', `/v1/services/${serviceId}/backups`, { token });
    expect([backup.status, backup.body.error.code]).toEqual([409, 'service_archived']);
    const schedule = await call(cp.app, 'PUT', `/v1/services/${serviceId}/schedule`, { token, body: { cron: '0 3 * * *' } });
    expect([schedule.status, schedule.body.error.code]).toEqual([409, 'service_archived']);
    const reused = await register(projectId, token, 'orders-db', 'orders');
    expect(reused.status).toBe(201);
    const intoNew = await call(cp.app, 'POST', `/v1/backups/${backupId}/restores`, { token, body: { target: { kind: 'new_database', database: 'orders_back' } } });
    expect(intoNew.status).toBe(202);
  });

  it('stops the schedule of an archived service', async () => {
    const seeded = await seedProject(cp.app, 'archive-b');
    const { ownerToken: token, serviceId } = seeded;
    expect((await call(cp.app, 'PUT', `/v1/services/${serviceId}/schedule`, { token, body: { cron: '0 3 * * *' } })).status).toBe(200);
    await call(cp.app, 'DELETE', `/v1/services/${serviceId}`, { token });
    expect(await cp.plane.db.selectFrom('schedules').select('service_id').where('service_id', '=', serviceId).executeTakeFirst()).toBeUndefined();
  });

  it('purges only with the name confirmed, says how many backups went, and sends their files for deletion', async () => {
    const seeded = await seedProject(cp.app, 'purge-a');
    const { ownerToken: token, serviceId, projectId } = seeded;
    await succeededTestBackup(cp, seeded);
    await succeededTestBackup(cp, seeded);
    const missing = await call(cp.app, 'DELETE', `/v1/services/${serviceId}?purge=true`, { token });
    expect([missing.status, missing.body.error.message]).toEqual([400, expect.stringContaining('confirm to "orders-db"')]);
    expect((await call(cp.app, 'DELETE', `/v1/services/${serviceId}?purge=true&confirm=orders`, { token })).status).toBe(400);
    const member = (await call(cp.app, 'POST', `/v1/projects/${projectId}/tokens`, { token, body: { role: 'member' } })).body.token as string;
    expect((await call(cp.app, 'DELETE', `/v1/services/${serviceId}?purge=true&confirm=orders-db`, { token: member })).status).toBe(403);
    const purged = await call(cp.app, 'DELETE', `/v1/services/${serviceId}?purge=true&confirm=orders-db`, { token });
    expect(purged).toMatchObject({ status: 200, body: { purged: { backups: 2, artifacts: 2 } } });
    expect((await call(cp.app, 'GET', `/v1/services/${serviceId}`, { token })).status).toBe(404);
    expect((await call(cp.app, 'GET', `/v1/projects/${projectId}/services?archived=true`, { token })).body.services).toEqual([]);
    const deletions = await cp.plane.db.selectFrom('outbox').select('type').where('type', '=', 'artifact.delete_requested').where('message', '@>', JSON.stringify({ payload: { serviceId } }) as never).execute();
    expect(deletions).toHaveLength(2);
    const audit = await call(cp.app, 'GET', `/v1/audit?targetId=${serviceId}&action=service.purged`, { token });
    expect(audit.body.entries[0].details).toMatchObject({ name: 'orders-db', backups: 2, artifacts: 2 });
  });

  it('restores into another service of the project after a safety backup of it, owner only and confirmed', async () => {
    const seeded = await seedProject(cp.app, 'cross-a');
    const { ownerToken: token, serviceId, projectId } = seeded;
    const backupId = await succeededTestBackup(cp, seeded);
    const target = (await register(projectId, token, 'staging', 'staging')).body.id as string;
    const other = await seedProject(cp.app, 'cross-b');
    const elsewhere = await call(cp.app, 'POST', `/v1/backups/${backupId}/restores`, { token, body: { target: { kind: 'service', serviceId: other.serviceId, confirm: 'orders-db' } } });
    expect(elsewhere.status).toBe(404);
    const unconfirmed = await call(cp.app, 'POST', `/v1/backups/${backupId}/restores`, { token, body: { target: { kind: 'service', serviceId: target, confirm: 'orders-db' } } });
    expect([unconfirmed.status, unconfirmed.body.error.message]).toEqual([400, expect.stringContaining('"staging"')]);
    const member = (await call(cp.app, 'POST', `/v1/projects/${projectId}/tokens`, { token, body: { role: 'member' } })).body.token as string;
    expect((await call(cp.app, 'POST', `/v1/backups/${backupId}/restores`, { token: member, body: { target: { kind: 'service', serviceId: target, confirm: 'staging' } } })).status).toBe(403);
    // The source service archived: its backup still restores elsewhere.
    expect((await call(cp.app, 'DELETE', `/v1/services/${serviceId}`, { token })).status).toBe(204);
    const restore = await call(cp.app, 'POST', `/v1/backups/${backupId}/restores`, { token, body: { target: { kind: 'service', serviceId: target, confirm: 'staging' } } });
    expect(restore.status).toBe(202);
    expect(restore.body).toMatchObject({ serviceId: target, backupId, target: { kind: 'service', serviceId: target }, safetyBackupId: expect.any(String) });
    const safety = await call(cp.app, 'GET', `/v1/backups/${restore.body.safetyBackupId}`, { token });
    expect(safety.body).toMatchObject({ serviceId: target, trigger: 'safety' });
    expect((await call(cp.app, 'DELETE', `/v1/services/${target}`, { token })).status).toBe(409);
  });

  it('flags a second service at the same host, port and database, and accepts it', async () => {
    const { ownerToken: token, serviceId, projectId } = await seedProject(cp.app, 'dupe-a');
    const second = await register(projectId, token, 'orders-copy', 'orders');
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ duplicateOf: serviceId, warnings: [{ code: 'duplicate_target', serviceId }] });
    expect((await call(cp.app, 'GET', `/v1/services/${serviceId}`, { token })).body.duplicateOf).toBe(second.body.id);
    const elsewhere = await register(projectId, token, 'billing', 'billing');
    expect(elsewhere.body.warnings).toEqual([]);
    const moved = await call(cp.app, 'PATCH', `/v1/services/${elsewhere.body.id}?skipCheck=true`, { token, body: { connection: { database: 'orders' } } });
    expect(moved.body.warnings).toEqual([expect.objectContaining({ code: 'duplicate_target' })]);
  });
});
