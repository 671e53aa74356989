import { agentReport, type Artifact, type BackupContents, checkReport, type DroppedObjects, type Failure, restoreReport, type Verification, verifyReport } from '../contracts/index.js';
import type { z } from 'zod';
import type { JobExit } from '../runner/job-runner.js';
import type { ObjectInfo } from '../storage/object-store.js';

export type JobOutcome =
  | { status: 'succeeded'; artifact: Artifact; serverVersion: string; toolVersion: string; contents?: BackupContents }
  | { status: 'failed'; failure: Failure }
  | { status: 'canceled' };

export type RestoreOutcome = { status: 'succeeded'; database: string; dropped?: DroppedObjects } | { status: 'failed'; failure: Failure } | { status: 'canceled' };

export type VerifyOutcome = { status: 'succeeded'; verification: Verification } | { status: 'failed'; failure: Failure } | { status: 'canceled' };

export type CheckOutcome = { status: 'succeeded'; serverVersion: string; toolVersion: string; warnings: string[]; drops?: DroppedObjects } | { status: 'failed'; failure: Failure } | { status: 'canceled' };

/** What a finished connection check amounts to; like `outcomeOfExit`. Pure. */
export function checkOutcomeOfExit(exit: JobExit, deadlineSeconds: number): CheckOutcome {
  if (exit.deadlineExceeded) return timedOut('connection check', deadlineSeconds);
  const report = parse(checkReport, exit.report);
  if (report) {
    switch (report.outcome) {
      case 'succeeded':
        return { status: 'succeeded', serverVersion: report.serverVersion, toolVersion: report.toolVersion, warnings: report.warnings, ...(report.drops ? { drops: report.drops } : {}) };
      case 'failed':
        return { status: 'failed', failure: report.failure };
      case 'canceled':
        return { status: 'canceled' };
    }
  }
  return crashed('connection check', exit);
}

/** What a finished restore drill amounts to; like `outcomeOfExit`. Pure. */
export function verifyOutcomeOfExit(exit: JobExit, deadlineSeconds: number): VerifyOutcome {
  if (exit.deadlineExceeded) return timedOut('restore drill', deadlineSeconds);
  const report = parse(verifyReport, exit.report);
  if (report) return report.outcome === 'succeeded' ? { status: 'succeeded', verification: report.verification } : report.outcome === 'failed' ? { status: 'failed', failure: report.failure } : { status: 'canceled' };
  return crashed('restore drill', exit);
}

/** What a finished restore job amounts to; like `outcomeOfExit`. Pure. */
export function restoreOutcomeOfExit(exit: JobExit, deadlineSeconds: number): RestoreOutcome {
  if (exit.deadlineExceeded) return timedOut('restore', deadlineSeconds);
  const report = parse(restoreReport, exit.report);
  if (report) return report.outcome === 'succeeded' ? { status: 'succeeded', database: report.database, ...(report.dropped ? { dropped: report.dropped } : {}) } : report.outcome === 'failed' ? { status: 'failed', failure: report.failure } : { status: 'canceled' };
  return crashed('restore', exit);
}

/**
 * What a finished job amounts to, from how its process ended and what it reported. Pure. The
 * deadline wins over whatever the agent managed to print while being killed.
 */
export function outcomeOfExit(exit: JobExit, deadlineSeconds: number): JobOutcome {
  if (exit.deadlineExceeded) return timedOut('backup', deadlineSeconds);
  const report = parse(agentReport, exit.report);
  if (report) {
    switch (report.outcome) {
      case 'succeeded':
        return { status: 'succeeded', artifact: report.artifact, serverVersion: report.serverVersion, toolVersion: report.toolVersion, contents: report.contents };
      case 'failed':
        return { status: 'failed', failure: report.failure };
      case 'canceled':
        return { status: 'canceled' };
    }
  }
  return crashed('backup', exit);
}

function timedOut(what: string, deadlineSeconds: number): { status: 'failed'; failure: Failure } {
  return { status: 'failed', failure: { code: 'timeout', message: `the ${what} did not finish within its deadline of ${formatDuration(deadlineSeconds)}` } };
}

function crashed(what: string, exit: JobExit): { status: 'failed'; failure: Failure } {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode ?? 'unknown'}`;
  const detail = lastLine(exit.stderrTail);
  return { status: 'failed', failure: { code: 'agent_crashed', message: `the ${what} agent ${how} without reporting a result${detail ? `: ${detail}` : ''}` } };
}

/**
 * Invariant 2: a backup succeeds only if its artifact is in storage with the size the agent
 * reported. Returns the failure when it is not.
 */
export function verifyArtifact(reported: Artifact, stored: ObjectInfo | null): Failure | null {
  if (!stored) {
    return { code: 'artifact_verification_failed', message: `the agent reported ${reported.key} but storage has no such object` };
  }
  if (stored.sizeBytes !== reported.sizeBytes) {
    return {
      code: 'artifact_verification_failed',
      message: `storage holds ${stored.sizeBytes} bytes at ${reported.key} but the agent wrote ${reported.sizeBytes}`,
    };
  }
  return null;
}

function parse<Schema extends z.ZodType>(schema: Schema, text: string | null): z.infer<Schema> | undefined {
  if (text === null) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function lastLine(text: string): string {
  const line = text.trim().split('\n').at(-1) ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

export function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
