import type { ObjectStore } from './object-store.js';
import type { S3StoreOptions } from './s3.js';
import { parseStorageUrl } from './storage-url.js';

/**
 * The object store a LIFEBOAT_STORAGE_URL names (`file:///absolute/dir` or `s3://bucket/prefix?…`).
 * S3 credentials come from the SDK's default chain unless given here (tests, embedding).
 * Throws StorageUrlError for a URL it cannot use. Each store's module is loaded only when it
 * is used: an agent writing to files starts without the AWS SDK (about 0.2 s of every job).
 */
export async function openObjectStore(url: string, options: { s3Credentials?: S3StoreOptions['credentials'] } = {}): Promise<ObjectStore> {
  const location = parseStorageUrl(url);
  switch (location.kind) {
    case 'filesystem': {
      const { FilesystemStore } = await import('./fs.js');
      return new FilesystemStore(location.directory);
    }
    case 's3': {
      const { S3Store } = await import('./s3.js');
      return new S3Store({ ...location, credentials: options.s3Credentials });
    }
  }
}
