import { z } from 'zod';
import { backupContents, backupTriggers, engines, failureCodes, hostProblem, nameProblem } from '../../contracts/index.js';
import { projectRoles } from '../access.js';
import { backupStatuses } from '../backup-status.js';
import { restoreStatuses } from '../restore-status.js';
import { retentionPolicy } from '../retention.js';
import { deliveryStatusClasses, webhookEvents } from '../webhooks.js';

/** The public API's shapes (DESIGN.md "Public HTTP API"): request validation, responses and the OpenAPI document. */

export const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).meta({ id: 'Error' });

const resourceId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{16}$`), `must be a ${prefix}_… id`);
export const projectIdParam = z.object({ projectId: resourceId('prj') });
export const serviceIdParam = z.object({ serviceId: resourceId('svc') });
export const backupIdParam = z.object({ backupId: resourceId('bkp') });

/** `?waitSeconds=N`: answer once the backup or restore has ended, or after N seconds with its state then. */
const waitSeconds = z.coerce.number().int().min(0).max(60).optional().describe('Wait up to this many seconds (0–60) for it to end before answering');

export const waitQuery = z.object({ waitSeconds }).strict();

export const backupWaitQuery = z
  .object({
    waitSeconds,
    waitFor: z.enum(['end', 'verification']).optional().describe("With waitSeconds: wait for the backup's end (the default) or for the verdict of its pending restore drill"),
  })
  .strict();

/** Names appear in file names and URLs, so they are plain: lower-case letters, digits and dashes. */
const name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lower-case letters, digits or dashes, not starting or ending with a dash');

export const newProjectBody = z.object({ name }).strict();
export const project = z.object({ id: z.string(), name: z.string(), createdAt: z.string() }).meta({ id: 'Project' });

export const tokenIdParam = z.object({ tokenId: resourceId('tok') });
export const newTokenBody = z
  .object({
    role: z.enum(projectRoles),
    expiresInDays: z.number().int().min(1).max(3650).optional().describe('The token stops working this many days (1–3650) after it is issued; unset: it does not expire'),
  })
  .strict();
/** A token as listed: never its secret. */
export const projectTokenInfo = z
  .object({
    id: z.string(),
    projectId: z.string(),
    role: z.enum(projectRoles),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().describe('to the minute'),
  })
  .meta({ id: 'ProjectTokenInfo' });
export const issuedToken = projectTokenInfo.extend({ token: z.string().describe('shown once; store it now') }).meta({ id: 'ProjectToken' });

/** Refused unless `connectionProblems` (contracts) accepts it: the one rule for what a tool may be given. */
const host = z
  .string()
  .min(1)
  .max(253)
  .superRefine((value, context) => {
    const problem = hostProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
const identifier = z
  .string()
  .min(1)
  .max(63)
  .superRefine((value, context) => {
    const problem = nameProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

export const newServiceBody = z
  .object({
    name,
    engine: z.enum(engines).describe('the database engine; anything else is answered with unsupported_engine'),
    connection: z
      .object({
        host,
        port: z.number().int().min(1).max(65535).default(5432),
        database: identifier,
        user: identifier,
        password: z.string().max(1024),
      })
      .strict(),
  })
  .strict();

export const supportedEngines = engines;

export const service = z
  .object({
    id: z.string(),
    projectId: z.string(),
    name: z.string(),
    engine: z.enum(engines),
    connection: z.object({ host: z.string(), port: z.number(), database: z.string(), user: z.string() }).describe('the password is never returned'),
    blocked: z
      .object({ code: z.literal('target_not_allowed'), message: z.string() })
      .nullable()
      .describe('set when the stored connection breaks a rule made after it was registered: no new job of it runs'),
    createdAt: z.string(),
  })
  .meta({ id: 'Service' });

export const backup = z
  .object({
    id: z.string(),
    serviceId: z.string(),
    projectId: z.string(),
    status: z.enum(backupStatuses),
    trigger: z.enum(backupTriggers),
    requestedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    sizeBytes: z.number().nullable(),
    sha256: z.string().nullable(),
    expiresAt: z.string().nullable(),
    failure: z.object({ code: z.union([z.enum(failureCodes), z.string()]), message: z.string() }).nullable(),
    verification: z.unknown().nullable(),
    bytesWritten: z.number().nullable().describe('how much a running backup has written so far'),
  })
  .meta({ id: 'Backup' });

export const whoami = z
  .object({ kind: z.enum(['admin', 'project']), projectId: z.string().nullable(), role: z.string().nullable() })
  .meta({ id: 'Whoami' });

export const backupListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
});

export const downloadUrl = z.object({ url: z.string(), expiresAt: z.string() }).meta({ id: 'DownloadUrl' });

// Unix seconds up to the year 2286: anything larger is no link this API signed.
export const downloadQuery = z.object({ expires: z.coerce.number().int().positive().max(9_999_999_999), signature: z.string().min(1).max(100) });

export const capabilities = z
  .object({
    backups: z.object({ available: z.boolean(), reason: z.string().nullable() }),
    storage: z.object({ kind: z.enum(['filesystem', 's3']).nullable(), configured: z.boolean() }),
    bus: z.object({ kind: z.enum(['embedded', 'nats']) }),
    runner: z.object({ kind: z.enum(['local', 'kubernetes']) }),
    engines: z.array(z.enum(engines)),
  })
  .meta({ id: 'Capabilities' });

export const killSwitch = z
  .object({
    engaged: z.boolean(),
    reason: z.string().nullable(),
    source: z.enum(['configuration', 'operator']).nullable(),
    changedBy: z.string().nullable(),
    changedAt: z.string().nullable(),
  })
  .meta({ id: 'KillSwitch' });

export const killSwitchBody = z
  .object({ engaged: z.boolean(), reason: z.string().min(1).max(500).optional() })
  .strict()
  .refine((body) => !body.engaged || body.reason !== undefined, { message: 'is required when engaged is true: say why the kill switch is engaged', path: ['reason'] });

export const scheduleBody = z
  .object({
    cron: z.string().min(1).max(200),
    timezone: z.string().min(1).max(100).default('UTC'),
    retention: retentionPolicy.default({}),
    verify: z.boolean().default(false).describe('run a restore drill after each scheduled backup succeeds'),
  })
  .strict();

export const schedule = z
  .object({
    serviceId: z.string(),
    cron: z.string(),
    timezone: z.string(),
    retention: retentionPolicy,
    verify: z.boolean(),
    nextRunAt: z.string().nullable(),
    lastRunAt: z.string().nullable(),
    upcoming: z.array(z.string()).describe('the next five run times'),
  })
  .meta({ id: 'Schedule' });

export const retentionPreview = z
  .object({
    keep: z.array(z.object({ backupId: z.string(), reasons: z.array(z.string()) })),
    expire: z.array(z.object({ backupId: z.string(), reason: z.string() })),
  })
  .meta({ id: 'RetentionPreview' });

/** A time the platform database can hold and JavaScript reads the same: 1970 to 9999. */
const boundedTime = z.iso
  .datetime({ offset: true })
  .max(40)
  .refine((value) => {
    const at = Date.parse(value);
    return at >= 0 && at <= Date.parse('9999-12-31T23:59:59Z');
  }, 'must be a time between 1970 and 9999');

export const auditQuery = z
  .object({
    projectId: z.string().regex(/^prj_[0-9a-z]{16}$/, 'must be a prj_… id').optional(),
    // Printable ASCII, as every id and action is: a NUL byte would reach PostgreSQL and fail there.
    targetId: z.string().max(100).regex(/^[\x21-\x7e]+$/, 'must be an id').optional(),
    action: z.string().max(100).regex(/^[a-z_.]+$/, 'must be an action such as backup.deleted').optional(),
    since: boundedTime.optional(),
    until: boundedTime.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    // An entry id: at most 15 digits, so it stays an exact JavaScript number and a PostgreSQL bigint.
    cursor: z.string().regex(/^\d{1,15}$/, 'is not one this API returned').optional(),
  })
  .strict();

export const auditEntry = z
  .object({
    id: z.string(),
    projectId: z.string().nullable(),
    actor: z.string(),
    action: z.string(),
    target: z.object({ kind: z.string(), id: z.string() }),
    details: z.record(z.string(), z.unknown()),
    at: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const webhookIdParam = z.object({ webhookId: resourceId('whk') });

export const newWebhookBody = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2000),
    events: z.array(z.enum(webhookEvents)).min(1).default(['backup.succeeded', 'backup.failed']),
  })
  .strict();

export const webhook = z
  .object({
    id: z.string(),
    projectId: z.string(),
    url: z.string().describe('whole for owners; others see scheme://host/… with the path and query hidden'),
    events: z.array(z.string()),
    createdAt: z.string(),
  })
  .meta({ id: 'Webhook' });

export const createdWebhook = webhook
  .extend({ secret: z.string().describe('shown once: verify Lifeboat-Signature with it') })
  .meta({ id: 'CreatedWebhook' });

export const webhookDelivery = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number(),
    lastStatusClass: z.enum(deliveryStatusClasses).nullable().describe("the last attempt's outcome: the receiver's status class, or network_error when it did not answer"),
    lastStatus: z.number().nullable().describe("the receiver's status code (owner; null for others)"),
    lastError: z.string().nullable().describe('why the last attempt failed (owner; null for others)'),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export const contents = backupContents.meta({ id: 'BackupContents' });

export const restoreIdParam = z.object({ restoreId: resourceId('rst') });

const databaseName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be letters, digits and underscores, not starting with a digit');

export const newRestoreBody = z
  .object({
    target: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('new_database'), database: databaseName }).strict(),
      z
        .object({
          kind: z.literal('in_place'),
          confirm: z.string().max(63).describe("the service's name, to show you mean it"),
          safetyBackup: z.boolean().default(true).describe("back up the service's current data first"),
        })
        .strict(),
    ]),
  })
  .strict();

export const restore = z
  .object({
    id: z.string(),
    backupId: z.string(),
    serviceId: z.string(),
    projectId: z.string(),
    status: z.enum(restoreStatuses),
    target: z.union([z.object({ kind: z.literal('new_database'), database: z.string() }), z.object({ kind: z.literal('in_place') })]),
    safetyBackupId: z.string().nullable(),
    requestedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'Restore' });
