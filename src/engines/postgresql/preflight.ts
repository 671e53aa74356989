import type { Connection, ExcludedObject, ServiceBackupSettings } from '../../contracts/index.js';
import { JobFailure } from '../../agent/job-failure.js';
import { checkPgDumpVersion, type ToolVersion } from './pg-dump.js';
import { type PinnedTarget, pinTarget, type ResolveAddress } from '../../agent/pinned-target.js';
import { SourceSession } from './source-session.js';
import { exclusionsOf } from './unreadable-objects.js';

/** The pre-flight's own statements (identity, version, catalog) are quick; one that hangs is a stuck server. */
export const preflightStatementTimeoutMs = 60_000;

export interface PreflightRequest {
  connection: Connection;
  password: string | undefined;
  /** Where the service's host may resolve to (the operator's network policy). */
  resolve?: ResolveAddress;
  /** Bound on lock waits for the session (`lock_timeout`). */
  lockWaitTimeoutMs: number;
  /** Names the job's sessions, so that a cancel can find and end exactly them. */
  applicationName: string;
  /** Asks the tool for its version (cached by the caller). */
  toolVersion: () => Promise<ToolVersion>;
  /** What the service's backups leave out; unset: nothing, and every unreadable object fails. */
  backupSettings?: ServiceBackupSettings;
  /** Called once the address is pinned, before the session opens: where a cancel hooks in. */
  onPinned?: (target: PinnedTarget) => void;
}

export interface PreflightPassed {
  target: PinnedTarget;
  /** Open, for the caller to go on with (a backup's snapshot) or close (a connection check). */
  session: SourceSession;
  server: { major: number; text: string };
  tool: ToolVersion;
  /** What the dump must leave out: configured, and (with skipUnreadable) unreadable objects. */
  excluded: ExcludedObject[];
}

/**
 * What must hold before anything is dumped, shared by a backup and a connection check so that
 * the two cannot disagree: the host resolves to an address the network policy allows, the
 * server accepts the credentials and is the database and user asked for (`target_mismatch`),
 * pg_dump is installed and at least as new as the server, and the user can read every object
 * pg_dump must read (`permission_denied`), unless the service's settings leave it out. Throws a JobFailure naming what does not hold.
 */
export async function runPreflight(request: PreflightRequest): Promise<PreflightPassed> {
  const target = await pinTarget(request.connection, request.resolve);
  request.onPinned?.(target);
  // The tool is asked for its version while the connection opens: both take tens of milliseconds.
  const [opened, asked] = await Promise.allSettled([
    SourceSession.open(target, request.password, { lockTimeoutMs: request.lockWaitTimeoutMs, statementTimeoutMs: preflightStatementTimeoutMs }, request.applicationName),
    request.toolVersion(),
  ]);
  // A connection that fails says more than a missing tool: it is what the person mends first.
  if (opened.status === 'rejected') throw opened.reason;
  const session = opened.value;
  try {
    if (asked.status === 'rejected') throw asked.reason;
    const tool = asked.value;
    const mismatch = checkPgDumpVersion(tool, session.server);
    if (mismatch) throw new JobFailure(mismatch);
    const settings = request.backupSettings ?? { skipUnreadable: false, excludeTables: [] };
    const largeObjects = await session.unreadableLargeObjects();
    const exclusions = exclusionsOf(
      {
        unreadable: [...(await session.unreadableObjects()), ...largeObjects.unreadable],
        largeObjects: largeObjects.total,
        configured: await session.configuredExclusions(settings.excludeTables),
      },
      settings.skipUnreadable,
      target,
    );
    if ('failure' in exclusions) throw new JobFailure(exclusions.failure);
    return { target, session, server: session.server, tool, excluded: exclusions.excluded };
  } catch (error) {
    await session.close();
    throw error;
  }
}
