import { FilesystemStore } from './fs.js';
import type { ObjectStore } from './object-store.js';
import { S3Store, type S3StoreOptions } from './s3.js';
import { parseStorageUrl } from './storage-url.js';

/**
 * The object store a LIFEBOAT_STORAGE_URL names (`file:///absolute/dir` or `s3://bucket/prefix?…`).
 * S3 credentials come from the SDK's default chain unless given here (tests, embedding).
 * Throws StorageUrlError for a URL it cannot use.
 */
export function openObjectStore(url: string, options: { s3Credentials?: S3StoreOptions['credentials'] } = {}): ObjectStore {
  const location = parseStorageUrl(url);
  switch (location.kind) {
    case 'filesystem':
      return new FilesystemStore(location.directory);
    case 's3':
      return new S3Store({ ...location, credentials: options.s3Credentials });
  }
}
