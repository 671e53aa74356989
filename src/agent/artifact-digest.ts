import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { writeInBatches } from '../storage/file-writer.js';

/** What was read of an artifact: to be compared with its record before a restore. */
export interface ArtifactDigest {
  sha256: string;
  bytes: number;
}

// Plain read and write loops rather than stream pipelines: in a freshly started agent a
// pipeline through a Transform hashed 36 MiB in 120–210 ms where this loop takes 40–60 ms, and
// 378 MiB in 0.9 s against 0.4 s (bench/backup-restore.ts; BENCHMARKS.md).
const bufferBytes = 1024 * 1024;

/** Hashes an open file from its first byte, leaving its position alone. */
export async function digestOfFile(handle: FileHandle, signal: AbortSignal): Promise<ArtifactDigest> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(bufferBytes);
  let bytes = 0;
  for (;;) {
    signal.throwIfAborted();
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, bytes);
    if (bytesRead === 0) return { sha256: hash.digest('hex'), bytes };
    hash.update(buffer.subarray(0, bytesRead));
    bytes += bytesRead;
  }
}

/** Copies a download into a new file at `path` while hashing it. */
export async function copyWithDigest(source: Readable, path: string, signal: AbortSignal): Promise<ArtifactDigest> {
  const file = await open(path, 'wx', 0o600);
  try {
    const hash = createHash('sha256');
    const bytes = await writeInBatches(source, file, { signal, onChunk: (chunk) => hash.update(chunk) });
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    await file.close();
  }
}
