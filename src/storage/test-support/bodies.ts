import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

export const mebibyte = 1024 * 1024;

/** The byte at `position` of every test body: a hash of the position, so a shifted or repeated part shows. */
function byteAt(position: number): number {
  return Math.imul(position, 2654435761) >>> 24;
}

/** Bytes `[offset, offset + length)` of the test pattern. */
export function patternBytes(offset: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = byteAt(offset + i);
  return bytes;
}

/** The first `size` bytes of the pattern, made as they are read, in chunks like a pipe's. */
export function* patternChunks(size: number, chunkSize = 64 * 1024): Generator<Buffer> {
  for (let offset = 0; offset < size; offset += chunkSize) yield patternBytes(offset, Math.min(chunkSize, size - offset));
}

export function patternSha256(size: number): string {
  const hash = createHash('sha256');
  for (const chunk of patternChunks(size)) hash.update(chunk);
  return hash.digest('hex');
}

/** Size and SHA-256 of a stream, read without keeping it. */
export async function digestOf(stream: Readable): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    sizeBytes += chunk.length;
  }
  return { sizeBytes, sha256: hash.digest('hex') };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Writes `bytes` of the pattern from `offset` into a stream, waiting whenever the reader is behind. */
export async function writePattern(stream: Writable, offset: number, bytes: number, chunkSize = 64 * 1024): Promise<void> {
  for (let written = 0; written < bytes; written += chunkSize) {
    if (!stream.write(patternBytes(offset + written, Math.min(chunkSize, bytes - written)))) await once(stream, 'drain');
  }
}

/** Polls `check` until it holds; for states that another process or server reaches on its own. */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
