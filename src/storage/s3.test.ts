import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordedRequest, startS3Server, type TestS3Server } from '../../test/support/s3-server.js';
import { StorageUnavailableError } from './object-store.js';
import { openObjectStore } from './open-object-store.js';
import { S3Store, type S3StoreOptions } from './s3.js';
import { digestOf, eventually, mebibyte, patternBytes, patternSha256, readAll } from './test-support/bodies.js';

let server: TestS3Server;
let inspector: S3Client;
const stores: S3Store[] = [];

beforeAll(async () => {
  server = await startS3Server();
  inspector = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: credentials() });
});
afterAll(async () => {
  for (const store of stores) store.destroy();
  inspector?.destroy();
  await server?.stop();
});

function credentials() {
  return { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
}

/** A store in its own folder of the test bucket. */
function openStore(options: Partial<S3StoreOptions> = {}): { store: S3Store; root: string } {
  const root = `s3-${randomBytes(4).toString('hex')}/`;
  const store = new S3Store({ bucket: server.bucket, prefix: root, endpoint: server.endpoint, credentials: credentials(), partSizeBytes: 5 * mebibyte, queueSize: 2, ...options });
  stores.push(store);
  return { store, root };
}

async function openUploads(prefix: string): Promise<number> {
  const { Uploads } = await inspector.send(new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: prefix }));
  return Uploads?.length ?? 0;
}

const isUploadPart = (request: RecordedRequest) => request.method === 'PUT' && request.query.has('partNumber');

/** A body that counts what the store has pulled from it. */
function countedBody(size: number, chunkSize = 64 * 1024): { body: Readable; pulled: () => number } {
  let pulled = 0;
  const body = Readable.from(
    (function* () {
      for (let offset = 0; offset < size; offset += chunkSize) {
        const chunk = patternBytes(offset, Math.min(chunkSize, size - offset));
        pulled += chunk.length;
        yield chunk;
      }
    })(),
  );
  return { body, pulled: () => pulled };
}

describe('S3Store', () => {
  it('reads the body no further than the parts it can hold while S3 is stalled', async () => {
    const partSize = 5 * mebibyte;
    const queueSize = 2;
    const { store, root } = openStore({ partSizeBytes: partSize, queueSize });
    const size = 64 * mebibyte;
    const { body, pulled } = countedBody(size);
    const stalled = server.hold((request) => isUploadPart(request) && request.path.includes(root));

    const putting = store.put('big/backup.dump', body);
    await stalled.waitUntilHeld(queueSize);
    // The store fills one more part, then must stop reading until S3 takes one.
    await eventually(async () => pulled() >= (queueSize + 1) * partSize, 'the next part is filled');
    // Give a reader that ignored backpressure time to run far ahead; it would pull the whole body in this time.
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Parts in flight, the part being filled, and Readable.from's read-ahead of 16 chunks.
    expect(pulled()).toBeLessThanOrEqual((queueSize + 1) * partSize + 17 * 64 * 1024);

    stalled.release();
    await expect(putting).resolves.toEqual({ sizeBytes: size });
    await expect(digestOf(await store.get('big/backup.dump'))).resolves.toEqual({ sizeBytes: size, sha256: patternSha256(size) });
  });

  it('stops reading, aborts the upload and rejects when S3 keeps failing a part', async () => {
    const { store, root } = openStore();
    // Every part after the first fails, also when the SDK retries it.
    const refusal = server.refuse((request) => isUploadPart(request) && request.path.includes(root) && request.query.get('partNumber') !== '1', 500, 'InternalError');
    try {
      const { body, pulled } = countedBody(64 * mebibyte);
      const error = await store.put('failing/backup.dump', body).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).toBe('S3 refused writing failing/backup.dump: InternalError (HTTP 500)');
      expect(body.destroyed).toBe(true);
      // Part 1, parts 2 and 3 failing, part 4 waiting for room, and Readable.from's read-ahead.
      expect(pulled()).toBeLessThanOrEqual(4 * 5 * mebibyte + 17 * 64 * 1024);
      expect(await openUploads(root)).toBe(0);
      expect(await store.head('failing/backup.dump')).toBeNull();
    } finally {
      refusal();
    }
  });

  it('fills a part buffer again only once its upload has settled, retries included', async () => {
    const { store, root } = openStore({ partSizeBytes: 5 * mebibyte, queueSize: 1 });
    // The first try of every part is refused: the SDK sends the same buffer again, while the
    // next part is being read. Had its buffer been handed out again, the object would differ.
    const refused = new Set<string>();
    const lift = server.refuse((request) => {
      const part = request.query.get('partNumber');
      if (!isUploadPart(request) || !request.path.includes(root) || part === null || refused.has(part)) return false;
      refused.add(part);
      return true;
    }, 503, 'SlowDown');
    try {
      const size = 6 * 5 * mebibyte + 12345;
      await expect(store.put('retried/backup.dump', countedBody(size).body)).resolves.toEqual({ sizeBytes: size });
      expect(refused.size).toBe(7);
      await expect(digestOf(await store.get('retried/backup.dump'))).resolves.toEqual({ sizeBytes: size, sha256: patternSha256(size) });
    } finally {
      lift();
    }
  });

  it('asks for server-side encryption on every object it writes', async () => {
    const aes = openStore({ serverSideEncryption: { algorithm: 'AES256' } });
    await aes.store.put('small', Readable.from([Buffer.from('x')]));
    await aes.store.put('large', Readable.from([patternBytes(0, 6 * mebibyte)]));
    const kms = openStore({ serverSideEncryption: { algorithm: 'aws:kms', kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/example' } });
    await kms.store.put('small', Readable.from([Buffer.from('x')]));

    const writes = (root: string) =>
      server.requests.filter(
        (request) => request.path.includes(root) && ((request.method === 'PUT' && !request.query.has('partNumber')) || (request.method === 'POST' && request.query.has('uploads'))),
      );
    expect(writes(aes.root).map((request) => request.headers['x-amz-server-side-encryption'])).toEqual(['AES256', 'AES256']);
    expect(writes(kms.root).map((request) => [request.headers['x-amz-server-side-encryption'], request.headers['x-amz-server-side-encryption-aws-kms-key-id']])).toEqual([
      ['aws:kms', 'arn:aws:kms:eu-west-1:111122223333:key/example'],
    ]);
  });

  it('keeps stores with different prefixes apart in one bucket', async () => {
    const first = openStore();
    const second = openStore();
    await first.store.put('same/key', Readable.from([Buffer.from('first')]));
    await second.store.put('same/key', Readable.from([Buffer.from('second')]));

    const listed = [];
    for await (const object of first.store.list('')) listed.push(object.key);
    expect(listed).toEqual(['same/key']);
    expect(await first.store.deletePrefix('same/')).toBe(1);
    expect((await readAll(await second.store.get('same/key'))).toString()).toBe('second');
  });

  it('sends DeleteObjects with Content-MD5, which S3-compatible servers require, and no CRC32', async () => {
    const { store } = openStore();
    await store.put('doomed/1', Readable.from([Buffer.from('1')]));
    const before = server.requests.length;
    await store.deletePrefix('doomed/');
    const deletes = server.requests.slice(before).filter((request) => request.method === 'POST' && request.query.has('delete'));
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.headers['content-md5']).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(Object.keys(deletes[0]?.headers ?? {}).filter((name) => name.startsWith('x-amz-checksum-'))).toEqual([]);
    expect(await store.head('doomed/1')).toBeNull();
  });

  it('refuses with StorageUnavailableError, naming no secret, when credentials or bucket are wrong', async () => {
    // s3rver checks the access key id but not SigV4 signatures, so a wrong key id stands for wrong credentials.
    const secretAccessKey = 'not-the-right-secret-0123456789abcdef';
    const wrongKey = openStore({ credentials: { accessKeyId: 'AKIAWRONGKEY', secretAccessKey } }).store;
    const error = await wrongKey.put('x', Readable.from([Buffer.from('x')])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).message).toBe('S3 refused writing x: InvalidAccessKeyId (HTTP 403)');
    expect((error as Error).message).not.toContain(secretAccessKey);

    const missingBucket = openStore({ bucket: 'no-such-bucket' }).store;
    await expect(missingBucket.put('x', Readable.from([Buffer.from('x')]))).rejects.toThrow('S3 refused writing x: NoSuchBucket (HTTP 404)');
    await expect(missingBucket.get('x')).rejects.toThrow(StorageUnavailableError);
  });

  it('names a download with a non-ASCII file name both ways', async () => {
    const { store } = openStore();
    await store.put('dl', Readable.from([Buffer.from('bytes')]));
    const url = await store.presignedDownloadUrl('dl', { expiresInSeconds: 60, fileName: 'bestellungen-ü "1".dump' });
    const response = await fetch(url);
    expect(await response.text()).toBe('bytes');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="bestellungen-_ _1_.dump"; filename*=UTF-8''bestellungen-%C3%BC%20%221%22.dump`);
  });

  it('is what openObjectStore makes of an s3:// URL', async () => {
    const root = `url-${randomBytes(4).toString('hex')}`;
    const store = await openObjectStore(`s3://${server.bucket}/${root}?endpoint=${server.endpoint}&region=${server.region}&partSizeMiB=5&queueSize=1`, {
      s3Credentials: credentials(),
    });
    expect(store.kind).toBe('s3');
    await store.put('a/b', Readable.from([patternBytes(0, 6 * mebibyte)]));
    const direct = openStore({ prefix: `${root}/` }).store;
    expect(await direct.head('a/b')).toMatchObject({ sizeBytes: 6 * mebibyte });
    (store as S3Store).destroy();
  });
});
