import { type FileHandle, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ObjectNotFoundError, type ObjectStore } from '../storage/object-store.js';
import { type ArtifactDigest, copyWithDigest, digestOfFile } from './artifact-digest.js';
import { JobFailure } from './job-failure.js';
import type { ResolveAddress } from './pinned-target.js';

/** Every engine's restore and drill start here: the artifact, fetched and checked against the backup's record. */

export interface StoredArtifact {
  key: string;
  sizeBytes: number;
  sha256: string;
}

export interface StepDependencies {
  password: string | undefined;
  store: ObjectStore;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  /** Turns a host into the one address every connection of the job uses (and the network policy allows). */
  resolve?: ResolveAddress;
}

/** A checked artifact as a file pg_restore can read. */
export interface ArtifactFile {
  /** The path pg_restore is given. */
  path: string;
  /** An open file pg_restore inherits as descriptor 3, when `path` is /dev/fd/3. */
  inherited?: FileHandle;
  close(): Promise<void>;
}

/**
 * The artifact as a file whose SHA-256 and size match the backup's record. From a store that
 * keeps objects as local files, it is the stored file itself, held open and handed to pg_restore
 * as /dev/fd/3: no copy, and the bytes checked are the bytes restored even if the backup is
 * deleted meanwhile (Linux only: there, reopening /dev/fd/3 gives pg_restore's parallel workers
 * their own file offsets). From any other store it is a copy downloaded into `workDir`.
 */
export async function checkedArtifactFile(artifact: StoredArtifact, deps: StepDependencies, workDir: string): Promise<ArtifactFile> {
  if (deps.store.openFile && process.platform === 'linux') {
    const handle = await missingAsFailure(artifact, deps.store.openFile(artifact.key));
    try {
      checked(artifact, await digestOfFile(handle, deps.signal));
      return { path: '/dev/fd/3', inherited: handle, close: () => handle.close() };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  const path = join(workDir, 'artifact');
  checked(artifact, await copyWithDigest(await missingAsFailure(artifact, deps.store.get(artifact.key)), path, deps.signal));
  return { path, close: () => rm(path, { force: true }) };
}

async function missingAsFailure<T>(artifact: StoredArtifact, opening: Promise<T>): Promise<T> {
  try {
    return await opening;
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      throw new JobFailure({ code: 'artifact_missing', message: `the backup's file ${artifact.key} is not in storage; nothing was restored` });
    }
    throw error;
  }
}

/** Throws `checksum_mismatch` unless what was read matches the record. */
function checked(artifact: StoredArtifact, digest: ArtifactDigest): void {
  if (digest.sha256 !== artifact.sha256 || digest.bytes !== artifact.sizeBytes) {
    throw new JobFailure({
      code: 'checksum_mismatch',
      message: `the backup's file in storage does not match its record (SHA-256 ${digest.sha256.slice(0, 12)}…, ${digest.bytes} bytes; recorded ${artifact.sha256.slice(0, 12)}…, ${artifact.sizeBytes} bytes): it was changed or damaged, so nothing was restored`,
    });
  }
}
