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
  /** Streams `body` into `key`; rejects (leaving nothing behind) if the stream errors or `signal` aborts. */
  put(key: string, body: Readable, options?: { contentType?: string; signal?: AbortSignal }): Promise<{ sizeBytes: number }>;
  /** Size and time of an object, or null if there is none. */
  head(key: string): Promise<ObjectInfo | null>;
  /** The object's bytes, or a range of them. Rejects with ObjectNotFoundError when absent. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  delete(key: string): Promise<void>;
  /** Removes every object under `prefix` (which ends in '/'), including unfinished uploads. */
  deletePrefix(prefix: string): Promise<number>;
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

/** Rejects keys that could escape the store's root or that S3 would treat differently. */
export function assertValidKey(key: string): void {
  if (
    key.length === 0 ||
    key.length > 1024 ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    key.split('/').some((part) => part === '..' || part === '.')
  ) {
    throw new Error(`invalid object key: ${JSON.stringify(key)}`);
  }
}
