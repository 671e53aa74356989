import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyWithDigest, digestOfFile } from './artifact-digest.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Chunks of uneven sizes, as a network delivers them; some larger than the copy's write batches. */
function chunksOf(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0, index = 0; offset < data.length; index++) {
    const size = [1, 16_384, 65_536, 1_500_000, 7][index % 5]!;
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

describe('artifact digests', () => {
  let work: string;
  // Crosses several 1 MiB buffers and ends mid-buffer.
  const data = randomBytes(3 * 1024 * 1024 + 12_345);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'lifeboat-digest-test-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('hashes a whole file from its first byte, whatever its position', async () => {
    const path = join(work, 'whole');
    await writeFile(path, data);
    const handle = await open(path, 'r');
    try {
      await handle.read(Buffer.alloc(100), 0, 100, null);
      expect(await digestOfFile(handle, new AbortController().signal)).toEqual({ sha256: sha256(data), bytes: data.length });
      // Read again through the same handle: the same answer.
      expect((await digestOfFile(handle, new AbortController().signal)).sha256).toBe(sha256(data));
    } finally {
      await handle.close();
    }
  });

  it('hashes an empty file', async () => {
    const path = join(work, 'empty');
    await writeFile(path, '');
    const handle = await open(path, 'r');
    try {
      expect(await digestOfFile(handle, new AbortController().signal)).toEqual({ sha256: sha256(Buffer.alloc(0)), bytes: 0 });
    } finally {
      await handle.close();
    }
  });

  it('stops reading a file when aborted', async () => {
    const path = join(work, 'aborted');
    await writeFile(path, data);
    const handle = await open(path, 'r');
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    try {
      await expect(digestOfFile(handle, controller.signal)).rejects.toThrow('stop');
    } finally {
      await handle.close();
    }
  });

  it('copies a download byte for byte while hashing it', async () => {
    const path = join(work, 'copy');
    const digest = await copyWithDigest(Readable.from(chunksOf(data)), path, new AbortController().signal);
    expect(digest).toEqual({ sha256: sha256(data), bytes: data.length });
    expect((await readFile(path)).equals(data)).toBe(true);
  });

  it('never writes over an existing file', async () => {
    const path = join(work, 'taken');
    await writeFile(path, 'mine');
    await expect(copyWithDigest(Readable.from([data]), path, new AbortController().signal)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path, 'utf8')).toBe('mine');
  });

  it('passes on a download that fails midway', async () => {
    async function* failing() {
      yield data.subarray(0, 2_000_000);
      throw new Error('connection reset');
    }
    await expect(copyWithDigest(Readable.from(failing()), join(work, 'failed'), new AbortController().signal)).rejects.toThrow('connection reset');
  });

  it('stops a stalled download when aborted', async () => {
    const controller = new AbortController();
    const stalled = new Readable({ read: () => undefined });
    stalled.push(data.subarray(0, 1000));
    setTimeout(() => controller.abort(), 50);
    await expect(copyWithDigest(stalled, join(work, 'stalled'), controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(stalled.destroyed).toBe(true);
  });
});
