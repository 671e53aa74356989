import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

export interface ObjectInfo {
  key: string;
  sizeBytes: number;
  lastModified: Date;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/**
 * Object storage port. Keys are relative, slash-separated paths such as
 * `projects/p/services/s/backups/b/backup.dump`. An object becomes visible only when `put`
 * resolves: a reader never sees half an artifact.
 */
export interface ObjectStore {
  readonly kind: 'filesystem' | 's3';
  /**
   * Streams `body` into `key`, replacing what was there; rejects (leaving nothing behind) if the
   * stream errors or `signal` aborts before the body has ended. An abort after that is too late:
   * the object is being committed and `put` resolves.
   */
  put(key: string, body: Readable, options?: { contentType?: string; signal?: AbortSignal }): Promise<{ sizeBytes: number }>;
  /** Size and time of an object, or null if there is none. */
  head(key: string): Promise<ObjectInfo | null>;
  /**
   * The object's bytes, or a range of them, cut short at the object's end. Rejects with
   * ObjectNotFoundError when absent, RangeError for a malformed range.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * The object's own file, open for reading, from a store that keeps objects as local files (the
   * filesystem store): a reader on the same machine needs no copy. Objects are never written in
   * place, so the open file keeps its bytes even if the object is deleted or replaced meanwhile.
   * Rejects with ObjectNotFoundError when absent.
   */
  openFile?(key: string): Promise<FileHandle>;
  delete(key: string): Promise<void>;
  /** Removes every object under `prefix` (which ends in '/'), and unfinished uploads there; returns how many objects. */
  deletePrefix(prefix: string): Promise<number>;
  /** The objects under `prefix` ('' for all, else ending in '/'), in no particular order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /**
   * A URL that serves the object directly to a client with no token, if the store can make one
   * (S3 presigning). The filesystem store cannot: the API serves its own signed URL instead.
   */
  presignedDownloadUrl?(key: string, options: { expiresInSeconds: number; fileName: string }): Promise<string>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`no object at ${key}`);
  }
}

/** The store cannot be reached or refused the operation; the backup fails with `storage_unavailable`. */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A key or prefix the stores refuse; a programming error, never a storage failure. */
export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
  constructor(readonly key: string, reason: string) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
  }
}

/**
 * Rejects keys that could escape the store's root or that S3 would treat differently from a
 * directory: empty segments (`a//b`, `a/`) name distinct S3 objects but one file.
 */
export function assertValidKey(key: string): void {
  const reason = keyProblem(key);
  if (reason) throw new InvalidObjectKeyError(key, reason);
}

function keyProblem(key: string): string | undefined {
  if (key.length === 0) return 'empty';
  if (key.length > 1024) return 'longer than 1024 characters';
  if (key.startsWith('/')) return 'absolute';
  if (key.includes('\\') || key.includes('\0')) return 'contains a backslash or NUL';
  if (key.split('/').some((part) => part === '' || part === '.' || part === '..')) return "has an empty, '.' or '..' segment";
  return undefined;
}

/** A prefix is '' (everything) or a valid key followed by '/'. */
export function assertValidPrefix(prefix: string, options: { allowEmpty: boolean }): void {
  if (prefix === '' && options.allowEmpty) return;
  if (!prefix.endsWith('/')) throw new InvalidObjectKeyError(prefix, "a prefix ends with '/'");
  assertValidKey(prefix.slice(0, -1));
}

/** Ranges are inclusive, from a start of 0 or more to an end no smaller. */
export function assertValidRange(range: ByteRange): void {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start) {
    throw new RangeError(`invalid byte range ${range.start}-${range.end}`);
  }
}
