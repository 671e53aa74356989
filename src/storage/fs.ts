import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertValidKey,
  type ByteRange,
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
      await pipeline(body, createWriteStream(partial, { flags: 'wx', mode: 0o600 }), { signal: options.signal });
      const handle = await open(partial, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(partial, path);
      return { sizeBytes: (await stat(path)).size };
    } catch (error) {
      await rm(partial, { force: true });
      throw translate(error, `writing ${key}`);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { key, sizeBytes: info.size, lastModified: info.mtime } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw translate(error, `reading ${key}`);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    // Open first so a missing object rejects here rather than as a stream error later.
    const handle = await open(path, 'r').catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw translate(error, `reading ${key}`);
    });
    return createReadStream('', { fd: handle, start: range?.start, end: range?.end });
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true }).catch((error: unknown) => {
      throw translate(error, `deleting ${key}`);
    });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const folder = this.folderOf(prefix);
    let count = 0;
    for await (const _ of this.walk(folder, true)) count++;
    await rm(folder, { recursive: true, force: true }).catch((error: unknown) => {
      throw translate(error, `deleting ${prefix}`);
    });
    return count;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for await (const path of this.walk(this.folderOf(prefix), false)) {
      const info = await stat(path).catch(() => null);
      if (info?.isFile()) yield { key: relative(this.root, path).split(sep).join('/'), sizeBytes: info.size, lastModified: info.mtime };
    }
  }

  private async *walk(folder: string, includePartial: boolean): AsyncIterable<string> {
    let entries;
    try {
      entries = await opendir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw translate(error, `listing ${folder}`);
    }
    for await (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) yield* this.walk(path, includePartial);
      else if (includePartial || !entry.name.includes(partialMarker)) yield path;
    }
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split('/'));
  }

  private folderOf(prefix: string): string {
    if (prefix === '') return this.root;
    if (!prefix.endsWith('/')) throw new Error(`a prefix ends with '/': ${JSON.stringify(prefix)}`);
    return this.pathOf(prefix.slice(0, -1));
  }
}

/** Disk-level failures become StorageUnavailableError; everything else passes through unchanged. */
function translate(error: unknown, doing: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && ['EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'EIO', 'EDQUOT', 'ENOTDIR'].includes(code)) {
    return new StorageUnavailableError(`storage failed while ${doing}: ${code}`, { cause: error });
  }
  return error;
}
