import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { type BackupStatus, inProgressStatuses } from '../../src/control-plane/backup-status.js';
import { deadlineSeconds } from './topology.js';

export interface KillSwitchWindow {
  engagedAt: number;
  releasedAt: number;
}

/**
 * DESIGN.md's invariants, checked against the database, the bucket and the logs after a run.
 * Returns one line per violation; an empty list is a pass.
 */
export async function checkInvariants(options: {
  databaseUrl: string;
  s3: S3Client;
  bucket: string;
  killSwitch: KillSwitchWindow[];
  output: string;
  secrets: string[];
  /** How long after a backup ended its files may still be there: the sweep's grace and interval, and a delivery's ack wait. */
  orphanBoundMs: number;
}): Promise<string[]> {
  const violations: string[] = [];
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    // 3. Every requested backup reaches a terminal state within its deadline.
    const stuck = await client.query(
      `SELECT id, status FROM control.backups WHERE status IN ('requested', 'queued', 'running') AND requested_at < now() - make_interval(secs => $1)`,
      [deadlineSeconds + 30],
    );
    for (const row of stuck.rows as { id: string; status: string }[]) {
      // What the orchestrator knows of it, to tell a lost event from a lost job.
      const job = await client.query(`SELECT status, attempt, owner, failure_code FROM orchestrator.jobs WHERE kind = 'backup' AND backup_id = $1`, [row.id]);
      const events = await client.query(
        `SELECT o.type, o.published_at IS NOT NULL AS published, i.outcome AS applied FROM orchestrator.outbox o LEFT JOIN control.inbox i ON i.message_id = o.id
          WHERE o.message->'payload'->>'backupId' = $1 AND o.type <> 'backup.progress' ORDER BY o.seq`,
        [row.id],
      );
      violations.push(
        `backup ${row.id} is still ${row.status} past its deadline (job: ${JSON.stringify(job.rows[0] ?? null)}; orchestrator events: ${JSON.stringify(events.rows)})`,
      );
    }
    const stuckRestores = await client.query(
      `SELECT id, status FROM control.restores WHERE status IN ('requested', 'queued', 'running') AND requested_at < now() - make_interval(secs => $1)`,
      [deadlineSeconds * 3 + 30],
    );
    for (const row of stuckRestores.rows as { id: string; status: string }[]) violations.push(`restore ${row.id} is still ${row.status} past its deadline`);

    // 2. succeeded only with the artifact in storage, at the recorded size and SHA-256.
    const succeeded = await client.query(`SELECT id, artifact_key, size_bytes, sha256 FROM control.backups WHERE status = 'succeeded'`);
    for (const row of succeeded.rows as { id: string; artifact_key: string; size_bytes: string; sha256: string }[]) {
      try {
        const object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: `chaos/${row.artifact_key}` }));
        const bytes = Buffer.from(await object.Body!.transformToByteArray());
        if (bytes.length !== Number(row.size_bytes)) violations.push(`backup ${row.id}: ${bytes.length} bytes stored, ${row.size_bytes} recorded`);
        else if (createHash('sha256').update(bytes).digest('hex') !== row.sha256) violations.push(`backup ${row.id}: stored bytes do not match the recorded SHA-256`);
      } catch (error) {
        violations.push(`backup ${row.id} succeeded but its artifact cannot be read: ${(error as Error).name}`);
      }
    }

    // 5. No artifact without a record, once the orphan sweep has had its grace and a pass.
    violations.push(...(await orphanedObjects(client, options)));

    // 4. At most one backup of a service at a time: no two backup jobs of a service overlapped.
    const overlaps = await client.query(`
      SELECT a.backup_id AS first, b.backup_id AS second FROM orchestrator.jobs a JOIN orchestrator.jobs b
        ON a.service_id = b.service_id AND a.id < b.id AND a.kind = 'backup' AND b.kind = 'backup'
       AND a.started_at IS NOT NULL AND b.started_at IS NOT NULL
       AND a.started_at < coalesce(b.finished_at, now()) AND b.started_at < coalesce(a.finished_at, now())`);
    for (const row of overlaps.rows as { first: string; second: string }[]) violations.push(`backups ${row.first} and ${row.second} of one service ran at the same time`);

    // 6. No job launched while the kill switch was engaged (after a second for it to propagate).
    for (const window of options.killSwitch) {
      const launched = await client.query(`SELECT backup_id, kind, started_at FROM orchestrator.jobs WHERE started_at > $1 AND started_at < $2`, [
        new Date(window.engagedAt + 2000),
        new Date(window.releasedAt),
      ]);
      for (const row of launched.rows as { backup_id: string; kind: string; started_at: Date }[]) {
        violations.push(`${row.kind} job for ${row.backup_id} launched ${((row.started_at.getTime() - window.engagedAt) / 1000).toFixed(1)} s after the kill switch was engaged (released ${((window.releasedAt - window.engagedAt) / 1000).toFixed(1)} s after)`);
      }
    }
  } finally {
    await client.end();
  }

  // 7. Credentials never appear in logs.
  for (const secret of options.secrets) {
    if (options.output.includes(secret)) violations.push(`a credential appears in the logs (${secret.slice(0, 3)}…)`);
  }
  return violations;
}

/**
 * Objects whose backup did not succeed. The listing comes first and the records are read after
 * it, so a backup that succeeds (or starts: a per-minute schedule fires) while the bucket is
 * listed is not mistaken for an orphan. Files of a backup whose record changed (it ended, or was
 * deleted) less than `orphanBoundMs` ago are looked at again until then: removing them is the
 * orchestrators' and the sweep's work, and they have that long by design.
 */
async function orphanedObjects(client: pg.Client, options: { s3: S3Client; bucket: string; output: string; orphanBoundMs: number }): Promise<string[]> {
  for (;;) {
    const objects: { key: string; backupId: string | undefined; lastModified: Date | undefined }[] = [];
    let token: string | undefined;
    do {
      const page = await options.s3.send(new ListObjectsV2Command({ Bucket: options.bucket, Prefix: 'chaos/', ContinuationToken: token }));
      for (const object of page.Contents ?? []) objects.push({ key: object.Key!, backupId: /backups\/([^/]+)\//.exec(object.Key ?? '')?.[1], lastModified: object.LastModified });
      token = page.NextContinuationToken;
    } while (token);
    const ids = [...new Set(objects.map((object) => object.backupId).filter((id) => id !== undefined))];
    const records = await client.query(
      `SELECT b.id, b.status, b.failure_code, b.artifact_deleted_at IS NOT NULL AS artifact_deleted, extract(epoch FROM now() - b.updated_at) * 1000 AS changed_ms_ago,
              j.status AS job_status, j.attempt, j.artifact_delete_requested_at IS NOT NULL AS delete_requested
         FROM control.backups b LEFT JOIN orchestrator.jobs j ON j.kind = 'backup' AND j.backup_id = b.id WHERE b.id = ANY($1)`,
      [ids],
    );
    type Row = { id: string; status: BackupStatus; changed_ms_ago: number | null };
    const recordOf = new Map((records.rows as Row[]).map((row) => [row.id, row]));
    const orphans = objects.filter((object) => {
      const status = object.backupId ? recordOf.get(object.backupId)?.status : undefined;
      return status === undefined || (status !== 'succeeded' && !inProgressStatuses.includes(status));
    });
    const youngest = Math.min(...orphans.map((object) => Number(recordOf.get(object.backupId ?? '')?.changed_ms_ago ?? Infinity)));
    if (orphans.length > 0 && youngest < options.orphanBoundMs) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, options.orphanBoundMs - youngest)));
      continue;
    }
    return orphans.map((object) => {
      const record = object.backupId ? (recordOf.get(object.backupId) ?? null) : null;
      const age = object.lastModified ? `${((Date.now() - object.lastModified.getTime()) / 1000).toFixed(0)} s old` : 'age unknown';
      // What each half knows of it and its last log lines, to tell a sweep that did not run from one that chose to keep it.
      return `object ${object.key} belongs to no succeeded backup (${age}; record and job: ${JSON.stringify(record)}; its last log lines: ${object.backupId ? linesMentioning(options.output, object.backupId) : '—'})`;
    });
  }
}

/** The last few log lines that name an id, each as its message (and error): enough to tell which path left it behind. */
function linesMentioning(output: string, id: string): string {
  const lines = output.split('\n').filter((line) => line.includes(id));
  const short = (line: string) => {
    try {
      const entry = JSON.parse(line) as { role?: string; msg?: string; err?: { message?: string } };
      return `${entry.role ?? '?'}: ${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message.slice(0, 120)})` : ''}`;
    } catch {
      return line.slice(0, 200);
    }
  };
  return lines.slice(-6).map(short).join(' / ') || 'none';
}
