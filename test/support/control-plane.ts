import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { envelope } from '../../src/contracts/index.js';
import type { NetworkPolicy } from '../../src/contracts/network-policy.js';
import { applyBackupEvent } from '../../src/control-plane/backup-events.js';
import type { ControlPlane } from '../../src/control-plane/context.js';
import { buildApp } from '../../src/control-plane/http/app.js';
import { RecordChanges } from '../../src/control-plane/record-changes.js';
import { controlMigrations } from '../../src/control-plane/migrations.js';
import { controlSchema, type ControlTables } from '../../src/control-plane/tables.js';
import { migrateSchema } from '../../src/db/migrations.js';
import { schemaView } from '../../src/db/platform-database.js';
import { outboxChannel } from '../../src/outbox/tables.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { deriveKeys } from '../../src/secrets/keys.js';
import { FilesystemStore } from '../../src/storage/fs.js';
import { openTestPlatformDatabase, type PlatformKind, silentLogger, type TestPlatformDatabase } from './platform-db.js';

export const adminToken = 'lba_test-admin-token-0123456789abcdef';

export interface TestControlPlane {
  platform: TestPlatformDatabase;
  plane: ControlPlane;
  app: FastifyInstance;
  storageDir: string;
  close(): Promise<void>;
}

/** The HTTP API over a fresh platform database, for `app.inject` tests; no relay or bus. */
export async function startTestControlPlane(
  kind: PlatformKind,
  options: {
    storage?: boolean;
    killSwitchFromConfiguration?: boolean;
    downloadUrlTtlSeconds?: number;
    authFailuresPerMinute?: number;
    minScheduleIntervalSeconds?: number;
    /** Unset: everything allowed, as under `serve`. */
    networkPolicy?: NetworkPolicy;
    /** Unset: the same as `networkPolicy`. */
    webhookPolicy?: NetworkPolicy;
    serviceRegistration?: 'admin' | 'owner';
    connectionCheckWaitSeconds?: number;
  } = {},
): Promise<TestControlPlane> {
  const platform = await openTestPlatformDatabase(kind);
  await migrateSchema(platform.database.db, controlSchema, controlMigrations);
  const storageDir = await mkdtemp(join(tmpdir(), 'lifeboat-store-'));
  const plane: ControlPlane = {
    db: schemaView<ControlTables>(platform.database, controlSchema),
    keys: deriveKeys('the secret key of the control plane tests'),
    store: options.storage === false ? undefined : new FilesystemStore(storageDir),
    adminToken,
    logger: silentLogger,
    metrics: createMetrics(),
    settings: {
      killSwitchFromConfiguration: options.killSwitchFromConfiguration ?? false,
      downloadUrlTtlSeconds: options.downloadUrlTtlSeconds ?? 900,
      jobDeadlineSeconds: 3600,
      scheduleJitterSeconds: 0,
      minScheduleIntervalSeconds: options.minScheduleIntervalSeconds ?? 3600,
      maxEventStreams: { perToken: 5, perProject: 20 },
      verificationEngines: [],
      busKind: 'embedded',
      runnerKind: 'local',
      // The sweeps make hundreds of refused calls from one address; the limit has its own tests.
      authFailuresPerMinute: options.authFailuresPerMinute ?? 100_000,
      networkPolicy: options.networkPolicy ?? { allow: 'any', deny: { cidrs: [], endpoints: [] } },
      webhookPolicy: options.webhookPolicy ?? options.networkPolicy ?? { allow: 'any', deny: { cidrs: [], endpoints: [] } },
      serviceRegistration: options.serviceRegistration ?? 'owner',
      connectionCheckWaitSeconds: options.connectionCheckWaitSeconds,
    },
    publicUrl: () => 'http://lifeboat.test',
    changes: new RecordChanges(),
    wakeRelay: () => platform.database.notify(outboxChannel(controlSchema)),
    isReady: async () => true,
  };
  const app = await buildApp(plane);
  return {
    platform,
    plane,
    app,
    storageDir,
    async close() {
      await app.close();
      await platform.close();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** Calls the API as `token`, returning status and parsed JSON. A string body is sent as is (for malformed-JSON tests). */
export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const response = await app.inject({ method, url, headers, payload });
  let body: unknown = response.body;
  try {
    body = response.body === '' ? null : JSON.parse(response.body);
  } catch {
    // Not JSON (a download): leave the text.
  }
  return { status: response.statusCode, body, headers: response.headers };
}

/** A project with an owner token, and a registered PostgreSQL service. */
export async function seedProject(app: FastifyInstance, name = 'acme'): Promise<{ projectId: string; ownerToken: string; serviceId: string }> {
  const project = await call(app, 'POST', '/v1/projects', { token: adminToken, body: { name } });
  const owner = await call(app, 'POST', `/v1/projects/${project.body.id}/tokens`, { token: adminToken, body: { role: 'owner' } });
  const service = await call(app, 'POST', `/v1/projects/${project.body.id}/services?skipCheck=true`, {
    token: owner.body.token,
    body: { name: 'orders-db', engine: 'postgresql', connection: { host: '127.0.0.1', port: 5432, database: 'orders', user: 'app', password: 's3cret-pw' } },
  });
  if (service.status !== 201) throw new Error(`seeding the service failed: ${JSON.stringify(service.body)}`);
  return { projectId: project.body.id, ownerToken: owner.body.token, serviceId: service.body.id };
}

/** A backup requested by a new project's owner, with the envelope fields its orchestrator events carry. */
export async function requestTestBackup(app: FastifyInstance, projectName: string): Promise<{ backupId: string; ownerToken: string; fields: { correlationId: string; projectId: string } }> {
  const { serviceId, ownerToken, projectId } = await seedProject(app, projectName);
  const created = await call(app, 'POST', `/v1/services/${serviceId}/backups`, { token: ownerToken });
  if (created.status !== 202) throw new Error(`requesting the backup failed: ${JSON.stringify(created.body)}`);
  return { backupId: created.body.id, ownerToken, fields: { correlationId: created.body.id, projectId } };
}

/** A backup of the service requested by its owner and recorded as succeeded (its artifact is not real: no job runs here). */
export async function succeededTestBackup(cp: TestControlPlane, seeded: { projectId: string; ownerToken: string; serviceId: string }): Promise<string> {
  const created = await call(cp.app, 'POST', `/v1/services/${seeded.serviceId}/backups`, { token: seeded.ownerToken });
  if (created.status !== 202) throw new Error(`requesting the backup failed: ${JSON.stringify(created.body)}`);
  const backupId = created.body.id as string;
  await applyBackupEvent(
    cp.plane.db,
    envelope('backup.succeeded', { correlationId: backupId, projectId: seeded.projectId }, {
      backupId,
      artifact: { key: `k/${backupId}.dump`, manifestKey: `k/${backupId}.json`, sizeBytes: 1, sha256: 'e'.repeat(64) },
      serverVersion: '16',
      toolVersion: '16',
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
    }),
  );
  return backupId;
}
