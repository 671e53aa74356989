import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, opendir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { writeInBatches } from './file-writer.js';
import {
  assertValidKey,
  assertValidPrefix,
  assertValidRange,
  type ByteRange,
  InvalidObjectKeyError,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  StorageUnavailableError,
} from './object-store.js';

/** Unfinished uploads carry this in their name; they are never listed and are swept with their folder. */
const partialMarker = '.partial-';

/**
 * Object storage in a directory: the embedded default. An upload is written under a temporary
 * name beside its final one, flushed to disk, then renamed, so a crash leaves either the whole
 * object or no object (plus a partial file that `deletePrefix` sweeps).
 */
export class FilesystemStore implements ObjectStore {
  readonly kind = 'filesystem';

  constructor(private readonly root: string) {}

  async put(key: string, body: Readable, options: { signal?: AbortSignal } = {}): Promise<{ sizeBytes: number }> {
    const path = this.pathOf(key);
    const partial = `${path}${partialMarker}${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(dirname(path), { recursive: true });
      const file = await open(partial, 'wx', 0o600);
      let sizeBytes;
      try {
        // Flushed as it is written, so the sync before the rename has only the tail left to do.
        sizeBytes = await writeInBatches(body, file, { signal: options.signal, syncEveryBytes: 16 * 1024 * 1024 });
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(partial, path);
      // The rename itself is durable only once the directory is flushed: a succeeded backup must survive a crash.
      await syncPath(dirname(path));
      return { sizeBytes };
    } catch (error) {
      body.destroy();
      await rm(partial, { force: true });
      throw translate(error, `writing ${key}`);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { key, sizeBytes: info.size, lastModified: info.mtime } : null;
    } catch (error) {
      if (isAbsent(error)) return null;
      throw translate(error, `reading ${key}`);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (range) assertValidRange(range);
    // Opened first so a missing object rejects here rather than as a stream error later.
    return createReadStream('', { fd: await this.openFile(key), start: range?.start, end: range?.end });
  }

  async openFile(key: string): Promise<FileHandle> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if (isAbsent(error)) throw new ObjectNotFoundError(key);
      throw translate(error, `reading ${key}`);
    }
    // A folder opens too (`projects/p` when `projects/p/x` exists), but is no object.
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new ObjectNotFoundError(key);
    }
    return handle;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true }).catch((error: unknown) => {
      // A folder is no object, so there is nothing to delete; S3 says the same.
      if (isAbsent(error) || (error as NodeJS.ErrnoException).code === 'ERR_FS_EISDIR') return;
      throw translate(error, `deleting ${key}`);
    });
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix, { allowEmpty: false });
    const folder = this.folderOf(prefix);
    let count = 0;
    for await (const _ of this.walk(folder)) count++;
    await rm(folder, { recursive: true, force: true }).catch((error: unknown) => {
      throw translate(error, `deleting ${prefix}`);
    });
    return count;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix, { allowEmpty: true });
    for await (const path of this.walk(this.folderOf(prefix))) {
      const info = await stat(path).catch(() => null);
      if (info?.isFile()) yield { key: relative(this.root, path).split(sep).join('/'), sizeBytes: info.size, lastModified: info.mtime };
    }
  }

  /** The objects' files under `folder`, never the partial files of unfinished uploads. */
  private async *walk(folder: string): AsyncIterable<string> {
    let entries;
    try {
      entries = await opendir(folder);
    } catch (error) {
      if (isAbsent(error)) return;
      throw translate(error, `listing ${folder}`);
    }
    for await (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) yield* this.walk(path);
      else if (!entry.name.includes(partialMarker)) yield path;
    }
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    // Such a key would be hidden from listing and swept as an unfinished upload.
    if (key.includes(partialMarker)) throw new InvalidObjectKeyError(key, `contains ${partialMarker}`);
    return join(this.root, ...key.split('/'));
  }

  /** The folder of a prefix already checked with assertValidPrefix. */
  private folderOf(prefix: string): string {
    return prefix === '' ? this.root : this.pathOf(prefix.slice(0, -1));
  }
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** No such file, or a file where the key needs a folder (`a/b` when `a` is an object): no object either way. */
function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Disk-level failures become StorageUnavailableError; everything else passes through unchanged. */
function translate(error: unknown, doing: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && ['EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'EIO', 'EDQUOT', 'ENOTDIR'].includes(code)) {
    return new StorageUnavailableError(`storage failed while ${doing}: ${code}`, { cause: error });
  }
  return error;
}
