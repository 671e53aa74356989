import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeInBatches } from './file-writer.js';

describe('batched file writes', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lifeboat-writer-test-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('writes every chunk in order, flushing to disk along the way, and sees each chunk first', async () => {
    const chunks = Array.from({ length: 40 }, (_, index) => randomBytes(index % 2 === 0 ? 65_536 : 100_003));
    const path = join(work, 'out');
    const file = await open(path, 'wx');
    const seen: number[] = [];
    try {
      const written = await writeInBatches(Readable.from(chunks), file, { syncEveryBytes: 1_000_000, onChunk: (chunk) => seen.push(chunk.length) });
      expect(written).toBe(Buffer.concat(chunks).length);
    } finally {
      await file.close();
    }
    expect((await readFile(path)).equals(Buffer.concat(chunks))).toBe(true);
    expect(seen).toEqual(chunks.map((chunk) => chunk.length));
  });

  it('goes on after a short write, from the first byte not written', async () => {
    // A stand-in for the file: the kernel writes part of a writev only near a full disk or on a
    // signal, which a test cannot bring about on demand.
    const received: Buffer[] = [];
    const shortWriting = {
      async writev(buffers: Buffer[]) {
        const all = Buffer.concat(buffers);
        const taken = Math.min(all.length, 70_001);
        received.push(all.subarray(0, taken));
        return { bytesWritten: taken, buffers };
      },
    } as unknown as FileHandle;
    const chunks = Array.from({ length: 30 }, (_, index) => randomBytes(index % 3 === 0 ? 65_536 : 33_333));
    expect(await writeInBatches(Readable.from(chunks), shortWriting)).toBe(Buffer.concat(chunks).length);
    expect(Buffer.concat(received).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('accepts text chunks and an empty stream', async () => {
    const file = await open(join(work, 'text'), 'wx');
    try {
      expect(await writeInBatches(Readable.from(['héllo', ' ', 'wörld']), file)).toBe(Buffer.byteLength('héllo wörld'));
      expect(await writeInBatches(Readable.from([]), file)).toBe(0);
    } finally {
      await file.close();
    }
    expect(await readFile(join(work, 'text'), 'utf8')).toBe('héllo wörld');
  });

  it('stops and destroys its source when aborted', async () => {
    const controller = new AbortController();
    const source = new Readable({ read: () => undefined });
    source.push(randomBytes(10));
    const file = await open(join(work, 'aborted'), 'wx');
    setTimeout(() => controller.abort(), 30);
    try {
      await expect(writeInBatches(source, file, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await file.close();
    }
    expect(source.destroyed).toBe(true);
  });
});
