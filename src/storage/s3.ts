import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertValidKey,
  assertValidPrefix,
  assertValidRange,
  type ByteRange,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  StorageUnavailableError,
} from './object-store.js';
import { createS3Client, type S3ClientSettings, storageError } from './s3-client.js';
import { type UploadTarget, uploadStream } from './s3-upload.js';
import type { ServerSideEncryption } from './storage-url.js';

export interface S3StoreOptions {
  bucket: string;
  /** Folder inside the bucket that holds every key: '' (default) or ending in '/'. */
  prefix?: string;
  /** An S3-compatible server (`http(s)://host:port`); unset for AWS. */
  endpoint?: string;
  region?: string;
  /** Default: true with an endpoint (MinIO, Ceph, R2…), false for AWS. */
  forcePathStyle?: boolean;
  /** Unset: the SDK's default chain. */
  credentials?: S3ClientSettings['credentials'];
  /** Applied to every object written. */
  serverSideEncryption?: ServerSideEncryption;
  /** Default 16 MiB: objects up to 156 GiB (10,000 parts). */
  partSizeBytes?: number;
  /** Parts in flight at once; memory is about (queueSize + 1) × partSizeBytes. Default 4. */
  queueSize?: number;
}

const mebibyte = 1024 * 1024;

/**
 * Object storage in an S3 bucket (AWS or S3-compatible). Uploads stream in parts with bounded
 * memory and become visible only when completed; downloads can bypass the API through presigned
 * URLs.
 */
export class S3Store implements ObjectStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly root: string;
  private readonly encryption: Pick<UploadTarget, 'ServerSideEncryption' | 'SSEKMSKeyId'>;
  private readonly limits: { partSizeBytes: number; queueSize: number };

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.root = options.prefix ?? '';
    assertValidPrefix(this.root, { allowEmpty: true });
    this.client = createS3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      credentials: options.credentials,
    });
    this.encryption = encryptionHeaders(options.serverSideEncryption);
    this.limits = { partSizeBytes: options.partSizeBytes ?? 16 * mebibyte, queueSize: options.queueSize ?? 4 };
    if (this.limits.partSizeBytes < 5 * mebibyte) throw new RangeError('S3 parts are at least 5 MiB');
    if (!Number.isInteger(this.limits.queueSize) || this.limits.queueSize < 1) throw new RangeError('queueSize is a whole number of at least 1');
  }

  async put(key: string, body: Readable, options: { contentType?: string; signal?: AbortSignal } = {}): Promise<{ sizeBytes: number }> {
    const target: UploadTarget = { Bucket: this.bucket, Key: this.objectKey(key), ...this.encryption };
    if (options.contentType !== undefined) target.ContentType = options.contentType;
    return uploadStream(this.client, target, body, { ...this.limits, signal: options.signal, doing: `writing ${key}` });
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const command = new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) });
    try {
      const object = await this.client.send(command);
      return { key, sizeBytes: object.ContentLength ?? 0, lastModified: object.LastModified ?? new Date(0) };
    } catch (error) {
      // A HEAD response has no body, so a missing bucket looks the same; `put` and `get` tell it apart.
      if (statusOf(error) === 404) return null;
      throw storageError(error, `reading ${key}`);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (range) assertValidRange(range);
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined });
    try {
      const object = await this.client.send(command);
      if (!(object.Body instanceof Readable)) throw new Error('S3 returned no body stream');
      return object.Body;
    } catch (error) {
      if (statusOf(error) === 404 && (error as Error).name !== 'NoSuchBucket') throw new ObjectNotFoundError(key);
      // Starting past the end: S3 refuses, the filesystem yields nothing; the port says nothing.
      if (statusOf(error) === 416) return Readable.from([]);
      throw storageError(error, `reading ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) })).catch((error: unknown) => {
      throw storageError(error, `deleting ${key}`);
    });
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix, { allowEmpty: false });
    const doing = `deleting ${prefix}`;
    try {
      let count = 0;
      for await (const keys of this.pages(prefix)) {
        if (keys.length === 0) continue;
        const result = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map(({ Key }) => ({ Key })), Quiet: true } }),
        );
        const failed = result.Errors?.[0];
        if (failed) throw new StorageUnavailableError(`S3 refused ${doing}: ${failed.Code ?? 'an error'} for ${result.Errors?.length} object(s)`);
        count += keys.length;
      }
      await this.abortUploads(this.root + prefix);
      return count;
    } catch (error) {
      throw storageError(error, doing);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix, { allowEmpty: true });
    try {
      for await (const objects of this.pages(prefix)) {
        for (const object of objects) {
          yield { key: object.Key.slice(this.root.length), sizeBytes: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
        }
      }
    } catch (error) {
      throw storageError(error, `listing ${prefix}`);
    }
  }

  async presignedDownloadUrl(key: string, options: { expiresInSeconds: number; fileName: string }): Promise<string> {
    if (!Number.isInteger(options.expiresInSeconds) || options.expiresInSeconds < 1 || options.expiresInSeconds > 604_800) {
      throw new RangeError('a presigned URL lives from 1 second to 7 days');
    }
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), ResponseContentDisposition: attachment(options.fileName) });
    return getSignedUrl(this.client, command, { expiresIn: options.expiresInSeconds }).catch((error: unknown) => {
      throw storageError(error, `signing a download of ${key}`);
    });
  }

  /** Closes the client's idle connections; the store is unusable afterwards. */
  destroy(): void {
    this.client.destroy();
  }

  private async *pages(prefix: string): AsyncIterable<{ Key: string; Size?: number; LastModified?: Date }[]> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.root + prefix, ContinuationToken: token }));
      yield (page.Contents ?? []).filter((object): object is typeof object & { Key: string } => object.Key !== undefined);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Parts of uploads that never completed are billed like objects, and invisible to listing. */
  private async abortUploads(fullPrefix: string): Promise<void> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: fullPrefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      } catch (error) {
        // Some S3-compatible servers do not list uploads; their objects are gone all the same.
        if (statusOf(error) === 501) return;
        throw error;
      }
      for (const upload of page.Uploads ?? []) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId })).catch((error: unknown) => {
          if (statusOf(error) !== 404) throw error;
        });
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    return this.root + key;
  }
}

function encryptionHeaders(encryption: ServerSideEncryption | undefined): Pick<UploadTarget, 'ServerSideEncryption' | 'SSEKMSKeyId'> {
  if (encryption === undefined) return {};
  if (encryption.algorithm === 'AES256') return { ServerSideEncryption: 'AES256' };
  return encryption.kmsKeyId === undefined ? { ServerSideEncryption: 'aws:kms' } : { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: encryption.kmsKeyId };
}

/** `attachment; filename="…"`, with an RFC 6266 `filename*` when the name is not plain ASCII. */
export function attachment(fileName: string): string {
  const plain = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const header = `attachment; filename="${plain}"`;
  if (plain === fileName) return header;
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${header}; filename*=UTF-8''${encoded}`;
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}
