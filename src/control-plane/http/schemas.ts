import { z } from 'zod';
import { backupContents, backupTriggers, databaseObject, droppedObjects, engineDescriptors, engineNamed, engines, engineSpellings, failureCodes, hostProblem, lockWaitSchema, nameProblem, serviceBackupSettings } from '../../contracts/index.js';
import { projectRoles } from '../access.js';
import { backupStatuses } from '../backup-status.js';
import { restoreStatuses } from '../restore-status.js';
import { retentionPolicy } from '../retention.js';
import { deliveryStatusClasses, webhookEvents } from '../webhooks.js';

/** The public API's shapes (DESIGN.md "Public HTTP API"): request validation, responses and the OpenAPI document. */

export const errorBody = z
  .object({
    error: z
      .object({
        code: z.string().describe('what went wrong, from a closed set (README "HTTP API"): branch on this'),
        message: z.string().describe('for people: names the field or object and what to do; never a credential'),
      })
      .describe('why the request was refused'),
  })
  .meta({ id: 'Error' });

const resourceId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{16}$`), `must be a ${prefix}_… id`);
export const projectIdParam = z.object({ projectId: resourceId('prj') });
export const serviceIdParam = z.object({ serviceId: resourceId('svc') });

export const registrationQuery = z.object({
  skipCheck: z
    .enum(['true', 'false'])
    .optional()
    .describe('true: save the service without checking its connection first (check later with POST /v1/services/:serviceId/test-connection)'),
});

export const connectionCheckResult = z.object({
  id: z.string().describe('the check (chk_…)'),
  result: z.enum(['ok', 'failed']).describe('ok: a backup would get past its pre-flight'),
  failure: z
    .object({ code: z.string().describe('the code a backup would fail with: auth_failed, host_not_found, connection_refused, database_not_found, target_mismatch, permission_denied, dump_tool_version_mismatch, target_not_allowed, …'), message: z.string().describe('for people') })
    .nullable()
    .describe('null when the result is ok'),
  serverVersion: z.string().nullable().describe("the server's PostgreSQL version; null when the check did not get that far"),
  toolVersion: z.string().nullable().describe("the backup jobs' pg_dump version; null when the check did not get that far"),
  warnings: z.array(z.string()).describe('things a person should know that do not stop a backup'),
  checkedAt: z.string().describe('when the check ended (ISO 8601, UTC)'),
});
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
/** Said once, used by every object: when it came to be, in ISO 8601 UTC. */
const at = (what: string) => z.string().describe(`when ${what} (ISO 8601, UTC)`);
const nullableAt = (what: string) => z.string().nullable().describe(`when ${what} (ISO 8601, UTC); null until then`);

export const project = z
  .object({ id: z.string().describe('prj_… id'), name: z.string().describe("the project's name"), createdAt: at('it was created') })
  .meta({ id: 'Project' });

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
    id: z.string().describe('tok_… id'),
    projectId: z.string().describe('the project it acts in'),
    role: z.enum(projectRoles).describe('what it may do: viewer reads, member backs up and restores into new databases, owner also deletes, restores in place and manages tokens and webhooks'),
    createdAt: at('it was issued'),
    expiresAt: z.string().nullable().describe('when it stops working (ISO 8601, UTC); null: it does not expire'),
    revokedAt: z.string().nullable().describe('when it was revoked (ISO 8601, UTC); null: it was not'),
    lastUsedAt: z.string().nullable().describe('when it last authenticated a request, to the minute; null: never'),
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
    engine: z
      .enum(engineSpellings)
      .transform((spelling) => engineNamed(spelling) ?? 'postgresql')
      .describe('the database engine (mysql is stored as mariadb: one code path); anything else is answered with unsupported_engine'),
    connection: z
      .object({
        host,
        port: z.number().int().min(1).max(65535).optional().describe("the server's port; the engine's own (5432, 3306) when left out"),
        database: identifier,
        user: identifier,
        password: z.string().max(1024),
      })
      .strict(),
    skipUnreadable: serviceBackupSettings.shape.skipUnreadable,
    excludeTables: serviceBackupSettings.shape.excludeTables,
  })
  .strict()
  .transform((body) => ({ ...body, connection: { ...body.connection, port: body.connection.port ?? engineDescriptors[body.engine].defaultPort } }));

/** PATCH /v1/services/:id: the fields to change, validated exactly as at registration; left out, a field keeps its value. */
export const serviceChangesBody = z
  .object({
    name: name.optional(),
    connection: z
      .object({
        host: host.optional(),
        port: z.number().int().min(1).max(65535).optional(),
        database: identifier.optional(),
        user: identifier.optional(),
        password: z.string().max(1024).optional().describe('the new password; never returned, never audited'),
      })
      .strict()
      .optional(),
    skipUnreadable: serviceBackupSettings.shape.skipUnreadable.unwrap().optional(),
    excludeTables: serviceBackupSettings.shape.excludeTables.unwrap().optional(),
  })
  .strict()
  .refine(
    (body) => body.name !== undefined || body.skipUnreadable !== undefined || body.excludeTables !== undefined || Object.values(body.connection ?? {}).some((value) => value !== undefined),
    { message: 'must change something: give name, skipUnreadable, excludeTables or a connection field' },
  );

export const serviceListQuery = z
  .object({
    archived: z.enum(['true', 'false']).default('false').describe('true: list the archived services (their backups stay readable and restorable) instead of the active ones'),
  })
  .strict();

export const serviceRemovalQuery = z
  .object({
    purge: z.enum(['true', 'false']).default('false').describe("true: also delete every backup's files and records of the service, for good (owner)"),
    confirm: z.string().max(63).optional().describe("with purge=true: the service's name, to show you mean it"),
  })
  .strict();

export const purgeResult = z
  .object({
    purged: z
      .object({
        backups: z.number().describe('backups of the service removed from view (every status)'),
        artifacts: z.number().describe('of them, the ones whose files are now being deleted from storage'),
      })
      .describe('what the purge removed'),
  })
  .meta({ id: 'PurgeResult' });

export const service = z
  .object({
    id: z.string().describe('svc_… id'),
    projectId: z.string().describe('the project it belongs to'),
    name: z.string().describe("the service's name, unique in its project"),
    engine: z.enum(engines).describe('the database engine'),
    connection: z
      .object({
        host: z.string().describe('host name or IP address of the direct endpoint'),
        port: z.number().describe('TCP port'),
        database: z.string().describe('database name'),
        user: z.string().describe('user the backup connects as'),
      })
      .describe('the password is never returned'),
    blocked: z
      .object({ code: z.literal('target_not_allowed').describe('why it is blocked'), message: z.string().describe('which rule the connection breaks') })
      .nullable()
      .describe('set when the stored connection breaks a rule made after it was registered: no new job of it runs'),
    skipUnreadable: z.boolean().describe(serviceBackupSettings.shape.skipUnreadable.description ?? ''),
    excludeTables: z.array(z.string()).describe(serviceBackupSettings.shape.excludeTables.description ?? ''),
    createdAt: at('it was registered'),
    archivedAt: z.string().nullable().describe('when it was removed from the catalog (ISO 8601, UTC): no new backups or schedules, its backups stay; null: active'),
    duplicateOf: z
      .string()
      .nullable()
      .describe('another active service of the project that points at the same host, port and database (usually a mistake); null: none'),
  })
  .meta({ id: 'Service' });

export const serviceWarning = z
  .object({
    code: z.literal('duplicate_target').describe('what to look at'),
    message: z.string().describe('for people'),
    serviceId: z.string().describe('the other service concerned'),
  })
  .meta({ id: 'ServiceWarning' });

/** Registration and PATCH answer the service with what was accepted but is worth a look. */
export const serviceWithWarnings = service
  .extend({ warnings: z.array(serviceWarning).describe('accepted, but look: duplicate_target when another active service points at the same database') })
  .meta({ id: 'ServiceWithWarnings' });

export const backup = z
  .object({
    id: z.string().describe('bkp_… id'),
    serviceId: z.string().describe('the service backed up'),
    projectId: z.string().describe('the project of the service'),
    status: z.enum(backupStatuses).describe('requested → queued → running → succeeded | failed | canceled; a succeeded one later becomes expired or deleted'),
    trigger: z.enum(backupTriggers).describe('what asked for it'),
    requestedAt: at('it was asked for'),
    startedAt: nullableAt('its job started'),
    finishedAt: nullableAt('it ended'),
    sizeBytes: z.number().nullable().describe("the artifact's size in bytes, once it succeeded"),
    sha256: z.string().nullable().describe("the artifact's SHA-256 (hex), once it succeeded"),
    expiresAt: z
      .string()
      .nullable()
      .describe(
        'when retention expires it (ISO 8601, UTC), by the same decision as GET /v1/services/{serviceId}/retention/preview; in the past (and `expiring` true): the policy would expire it now and the next retention sweep does; null: no date can be given (no rule limits its age, it is the newest, or count rules keep it until newer backups arrive)',
      ),
    expiring: z.boolean().describe('true when the retention policy would expire it now (expiresAt has passed): the next retention sweep, within minutes, expires it'),
    failure: z
      .object({
        code: z.union([z.enum(failureCodes), z.string()]).describe('why it failed (README "HTTP API", failure codes)'),
        message: z.string().describe('what happened and what to do, for people'),
      })
      .nullable()
      .describe('set when it failed or was canceled'),
    verification: z
      .unknown()
      .nullable()
      .describe('the restore drill: {status: pending, verificationId, requestedAt} until its verdict, then the verdict with its checks; null: never drilled'),
    bytesWritten: z.number().nullable().describe('how much a running backup has written so far, in bytes; null when it is not running or has written nothing yet'),
    lockWait: lockWaitSchema
      .nullable()
      .describe("what a running backup's sessions on the source wait on, looked at about once a second: the relation, the mode wanted, the pid of a session holding it, since when, and a message; null when it waits on nothing or has ended"),
  })
  .meta({ id: 'Backup' });

export const whoami = z
  .object({
    kind: z.enum(['admin', 'project']).describe('the operator\'s admin token, or a project token'),
    projectId: z.string().nullable().describe("a project token's project; null for the admin"),
    role: z.string().nullable().describe("a project token's role; null for the admin"),
  })
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

export const downloadUrl = z
  .object({
    url: z.string().describe('downloads the artifact with no token; a credential while it works: do not log it'),
    expiresAt: at('the link stops working'),
  })
  .meta({ id: 'DownloadUrl' });

// Unix seconds up to the year 2286: anything larger is no link this API signed.
export const downloadQuery = z.object({ expires: z.coerce.number().int().positive().max(9_999_999_999), signature: z.string().min(1).max(100) });

export const capabilities = z
  .object({
    backups: z
      .object({
        available: z.boolean().describe('whether a new backup would be accepted now'),
        reason: z.string().nullable().describe('why not (kill switch, no storage); null when available'),
      })
      .describe('whether the backup path is on'),
    storage: z
      .object({
        kind: z.enum(['filesystem', 's3']).nullable().describe('where artifacts are kept; null when none is configured'),
        configured: z.boolean().describe('whether object storage is configured'),
      })
      .describe('object storage'),
    bus: z.object({ kind: z.enum(['embedded', 'nats']).describe('in-process or NATS JetStream') }).describe('the event bus'),
    runner: z.object({ kind: z.enum(['local', 'kubernetes']).describe('child processes or Kubernetes Jobs') }).describe('where backup jobs run'),
    engines: z
      .array(
        z.object({
          name: z.enum(engines).describe('the engine, as services name it'),
          label: z.string().describe('how people call it'),
          aliases: z.array(z.string()).describe('other names a registration may give it'),
          defaultPort: z.number().int().describe("the port a registration without one gets"),
          capabilities: z
            .object({
              restoreInPlace: z.boolean().describe("restore over the service's own database, after a safety backup"),
              restoreNewDatabase: z.boolean().describe("restore into a new database on the service's server"),
              contents: z.boolean().describe('contents with exact row counts recorded with each backup'),
              drills: z.boolean().describe('restore drills can run now (the engine has them and its verification server is configured)'),
              parallelRestore: z.boolean().describe('a restore uses several connections at once'),
              restorePlan: z.boolean().describe('GET /v1/backups/:id/restore-plan says what an in-place restore would drop'),
            })
            .describe('what its backups can do here'),
          drills: z.object({ configured: z.boolean().describe('whether its verification server is configured'), setting: z.string().describe('the setting that names its verification server') }).describe("its restore drills' verification server"),
          tools: z
            .array(z.object({ name: z.string().describe('the command'), version: z.string().nullable().describe('its version line; null when missing'), problem: z.string().nullable().describe('why there is no version') }))
            .nullable()
            .describe('the tools its jobs run, as found beside this server (local runner); null when jobs run elsewhere (Kubernetes: the agent image has them)'),
        }),
      )
      .describe('the database engines a service may have, and what each can do'),
  })
  .meta({ id: 'Capabilities' });

export const killSwitch = z
  .object({
    engaged: z.boolean().describe('whether the whole backup path is off'),
    reason: z.string().nullable().describe('why it is engaged; null when it is not'),
    source: z.enum(['configuration', 'operator']).nullable().describe('LIFEBOAT_KILL_SWITCH, or an operator through this API; null when not engaged'),
    changedBy: z.string().nullable().describe('who last engaged or released it through the API'),
    changedAt: z.string().nullable().describe('when that was (ISO 8601, UTC)'),
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

export const scheduleCheckBody = z.object({ cron: z.string().min(1).max(200), timezone: z.string().min(1).max(100).default('UTC') }).strict();

export const scheduleCheck = z
  .object({
    problem: z
      .object({ field: z.enum(['cron', 'timezone']).describe('which input is wrong'), message: z.string().describe('what is wrong, for people: the same text PUT answers') })
      .nullable()
      .describe('null: PUT would accept this schedule'),
    upcoming: z.array(z.string()).describe("the next five run times (ISO 8601, UTC), with this service's offset; empty when there is a problem"),
  })
  .meta({ id: 'ScheduleCheck' });

export const schedule = z
  .object({
    serviceId: z.string().describe('the service it backs up'),
    cron: z.string().describe('five-field cron expression'),
    timezone: z.string().describe('IANA timezone the cron expression is read in'),
    retention: retentionPolicy.describe('which backups are kept; the rest expire'),
    verify: z.boolean().describe('whether a restore drill runs after each scheduled backup succeeds'),
    nextRunAt: z.string().nullable().describe('the next run (ISO 8601, UTC)'),
    lastRunAt: z.string().nullable().describe('the last run (ISO 8601, UTC); null: none yet'),
    upcoming: z.array(z.string()).describe('the next five run times'),
  })
  .meta({ id: 'Schedule' });

export const retentionPreview = z
  .object({
    keep: z
      .array(
        z.object({
          backupId: z.string().describe('a succeeded backup'),
          reasons: z.array(z.string()).describe('each rule that keeps it'),
          expiresAt: z.string().nullable().describe("when its age limit expires it (ISO 8601, UTC), the same as the backup's expiresAt; null: no date can be given"),
        }),
      )
      .describe('the backups the policy keeps'),
    expire: z
      .array(
        z.object({
          backupId: z.string().describe('a succeeded backup'),
          reason: z.string().describe('why the policy lets it go'),
          expiresAt: z.string().describe("since when it is due (ISO 8601, UTC), the same as the backup's expiresAt; the next retention sweep expires it"),
        }),
      )
      .describe('the backups it would expire now'),
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
    actor: z.string().max(100).regex(/^[\x21-\x7e]+$/, 'must be an actor such as admin, scheduler or token:tok_…').optional(),
    since: boundedTime.optional(),
    until: boundedTime.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    // An entry id: at most 15 digits, so it stays an exact JavaScript number and a PostgreSQL bigint.
    cursor: z.string().regex(/^\d{1,15}$/, 'is not one this API returned').optional(),
  })
  .strict();

export const auditEntry = z
  .object({
    id: z.string().describe('entry id; newer entries have larger ones'),
    projectId: z.string().nullable().describe('the project concerned; null for operator actions'),
    actor: z.string().describe('who did it: admin, token:<id>, scheduler, …'),
    action: z.string().describe('what was done, such as backup.deleted'),
    target: z.object({ kind: z.string().describe('backup, service, token, …'), id: z.string().describe("the object's id") }).describe('to what'),
    targetName: z.string().nullable().describe("the object's name for people: a service's name, `backup of <service>`, `restore of <service>`; null for other kinds"),
    details: z.record(z.string(), z.unknown()).describe('what else is worth knowing of this action (never a secret)'),
    at: at('it happened'),
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
    id: z.string().describe('whk_… id'),
    projectId: z.string().describe('the project whose events it receives'),
    url: z.string().describe('whole for owners; others see scheme://host/… with the path and query hidden'),
    events: z.array(z.string()).describe('the event types posted to it'),
    createdAt: at('it was created'),
  })
  .meta({ id: 'Webhook' });

export const createdWebhook = webhook
  .extend({ secret: z.string().describe('shown once: verify Lifeboat-Signature with it') })
  .meta({ id: 'CreatedWebhook' });

export const webhookDelivery = z
  .object({
    id: z.string().describe('delivery id'),
    webhookId: z.string().describe('the webhook posted to'),
    eventId: z.string().describe("the event's id, also sent as Lifeboat-Event-Id"),
    eventType: z.string().describe('such as backup.failed'),
    status: z.enum(['pending', 'delivered', 'failed']).describe('pending while attempts remain; failed once they ran out'),
    attempts: z.number().describe('attempts made so far'),
    lastStatusClass: z.enum(deliveryStatusClasses).nullable().describe("the last attempt's outcome: the receiver's status class, or network_error when it did not answer"),
    lastStatus: z.number().nullable().describe("the receiver's status code (owner; null for others)"),
    lastError: z.string().nullable().describe('why the last attempt failed (owner; null for others)'),
    nextAttemptAt: z.string().nullable().describe('when it is tried again (ISO 8601, UTC); null: no further attempt'),
    createdAt: at('the event was queued for it'),
    deliveredAt: nullableAt('the receiver answered 2xx'),
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
      z
        .object({
          kind: z.literal('service'),
          serviceId: resourceId('svc').describe('the service of the same project whose database is overwritten'),
          confirm: z.string().max(63).describe("the target service's name, to show you mean it"),
          safetyBackup: z.boolean().default(true).describe("back up the target service's current data first"),
        })
        .strict(),
    ]),
  })
  .strict();

export const restore = z
  .object({
    id: z.string().describe('rst_… id'),
    backupId: z.string().describe('the backup restored'),
    serviceId: z.string().describe("the service whose database it writes: the backup's own, or the target of a restore into another service"),
    projectId: z.string().describe('the project of the service'),
    status: z.enum(restoreStatuses).describe('how far it got'),
    target: z
      .union([
        z.object({ kind: z.literal('new_database').describe('into a new database on the service\'s server'), database: z.string().describe('its name') }),
        z.object({ kind: z.literal('in_place').describe("over the service's own database") }),
        z.object({ kind: z.literal('service').describe("over another service's database"), serviceId: z.string().describe('that service (the restore is listed under it)') }),
      ])
      .describe('where it restores to'),
    safetyBackupId: z.string().nullable().describe('the backup taken of the current data before an in-place restore; null: none'),
    requestedAt: at('it was asked for'),
    startedAt: nullableAt('its job started'),
    finishedAt: nullableAt('it ended'),
    failure: z
      .object({ code: z.string().describe('why it failed (README "HTTP API", failure codes)'), message: z.string().describe('what happened and what to do, for people') })
      .nullable()
      .describe('set when it failed'),
    dropped: droppedObjects
      .nullable()
      .describe(
        'over a database (in_place, service), once succeeded: the objects that were in the database but not in the backup, dropped in the same transaction so that the database equals the backup; null otherwise',
      ),
  })
  .meta({ id: 'Restore' });

export const restorePlanQuery = z
  .object({
    target: z.enum(['in_place', 'service']).describe("in_place: over the backup's own service; service: over another service of the project (serviceId)"),
    serviceId: resourceId('svc').optional().describe('with target=service: the service whose database would be overwritten'),
  })
  .refine((query) => (query.target === 'service') === (query.serviceId !== undefined), { message: 'serviceId is given with target=service, and only then', path: ['serviceId'] });

export const restorePlan = z
  .object({
    target: z
      .union([
        z.object({ kind: z.literal('in_place').describe("over the backup's own service") }),
        z.object({ kind: z.literal('service').describe('over another service of the project'), serviceId: z.string().describe('that service') }),
      ])
      .describe('the restore asked about'),
    drops: z.array(databaseObject).describe('what the restore would drop, dependants first (the first 1000)'),
    total: z.number().int().nonnegative().describe('how many objects it would drop'),
    message: z.string().describe('for people: "will drop 2 objects not in the backup: table public.audit, view public.recent"'),
    basis: z.string().describe('what the answer is based on, and what it leaves standing'),
    checkedAt: at('the database was looked at'),
  })
  .meta({ id: 'RestorePlan' });
