import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilesystemStore } from './fs.js';
import { ObjectNotFoundError } from './object-store.js';
import { digestOf, mebibyte, patternChunks, patternSha256 } from './test-support/bodies.js';

/** What only the filesystem store does (the shared behaviour is in contract.test.ts): hand out an object's own file. */
describe('FilesystemStore.openFile', () => {
  let root: string;
  let store: FilesystemStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'lifeboat-fs-store-'));
    store = new FilesystemStore(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("opens the object's file, whose bytes stay readable after the object is deleted or replaced", async () => {
    const size = 3 * mebibyte + 7;
    const key = 'projects/p/services/s/backups/b/backup.dump';
    await store.put(key, Readable.from(patternChunks(size)));
    const handle = await store.openFile(key);
    try {
      await store.delete(key);
      await store.put(key, Readable.from([Buffer.from('something else')]));
      expect(await digestOf(handle.createReadStream({ autoClose: false, start: 0 }))).toEqual({ sizeBytes: size, sha256: patternSha256(size) });
    } finally {
      await handle.close();
    }
  });

  it('has no file for a missing key or a folder', async () => {
    await store.put('folder/object', Readable.from([Buffer.from('x')]));
    for (const key of ['missing', 'folder', 'folder/object/below']) await expect(store.openFile(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
  });
});
