import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../../test/support/s3-server.js';
import { FilesystemStore } from './fs.js';
import { InvalidObjectKeyError, ObjectNotFoundError, type ObjectStore, StorageUnavailableError } from './object-store.js';
import { S3Store } from './s3.js';
import { digestOf, eventually, mebibyte, patternBytes, patternChunks, patternSha256, readAll, writePattern } from './test-support/bodies.js';

/** A store under test, fresh for each test, and a way to see what its unfinished uploads left. */
interface StoreUnderTest {
  store: ObjectStore;
  /** Unfinished uploads under `prefix`: S3's open multipart uploads, the filesystem's partial files. */
  openUploads(prefix: string): Promise<number>;
  close(): Promise<void>;
}

/** The smallest S3 part, so that a few MB take the multipart path. */
const partSizeBytes = 5 * mebibyte;

let s3: TestS3Server | undefined;
afterAll(async () => {
  await s3?.stop();
});

const factories: { name: string; open(): Promise<StoreUnderTest> }[] = [
  {
    name: 'filesystem',
    async open() {
      const root = await mkdtemp(join(tmpdir(), 'lifeboat-contract-'));
      return {
        store: new FilesystemStore(root),
        async openUploads(prefix) {
          const entries = await readdir(join(root, prefix), { recursive: true }).catch(() => []);
          return entries.filter((name) => name.includes('.partial-')).length;
        },
        close: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3',
    async open() {
      s3 ??= await startS3Server();
      const server = s3;
      // Each test gets its own folder in the bucket, so the store's root prefix is exercised too.
      const root = `run-${randomBytes(4).toString('hex')}/`;
      const credentials = { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
      const store = new S3Store({ bucket: server.bucket, prefix: root, endpoint: server.endpoint, region: server.region, credentials, partSizeBytes, queueSize: 2 });
      const inspector = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials });
      return {
        store,
        async openUploads(prefix) {
          const { Uploads } = await inspector.send(new ListMultipartUploadsCommand({ Bucket: server.bucket, Prefix: root + prefix }));
          return Uploads?.length ?? 0;
        },
        async close() {
          store.destroy();
          inspector.destroy();
        },
      };
    },
  },
];

describe.each(factories)('ObjectStore contract: $name', (factory) => {
  let subject: StoreUnderTest;
  let store: ObjectStore;
  const fresh = async () => {
    await subject?.close();
    subject = await factory.open();
    store = subject.store;
  };
  afterAll(async () => {
    await subject?.close();
  });

  it('round-trips a streamed body of several MB', async () => {
    await fresh();
    const size = 12 * mebibyte + 123;
    const key = 'projects/p/services/s/backups/b/backup.dump';
    await expect(store.put(key, Readable.from(patternChunks(size)), { contentType: 'application/octet-stream' })).resolves.toEqual({ sizeBytes: size });

    const info = await store.head(key);
    expect(info).toMatchObject({ key, sizeBytes: size });
    expect(info?.lastModified).toBeInstanceOf(Date);
    await expect(digestOf(await store.get(key))).resolves.toEqual({ sizeBytes: size, sha256: patternSha256(size) });
  });

  it('round-trips small and empty bodies', async () => {
    await fresh();
    await store.put('small.json', Readable.from([Buffer.from('{"a":1}')]), { contentType: 'application/json' });
    await store.put('empty', Readable.from([]));
    expect((await readAll(await store.get('small.json'))).toString()).toBe('{"a":1}');
    expect(await readAll(await store.get('empty'))).toHaveLength(0);
    expect(await store.head('empty')).toMatchObject({ sizeBytes: 0 });
  });

  it('reads byte ranges, across parts and past the end', async () => {
    await fresh();
    const size = 6 * mebibyte;
    await store.put('ranged', Readable.from(patternChunks(size)));
    // Lengths first: a wrong range of megabytes would otherwise make a diff that takes seconds to print.
    const range = async (start: number, end: number) => {
      const bytes = await readAll(await store.get('ranged', { start, end }));
      return { length: bytes.length, hex: bytes.toString('hex') };
    };
    const pattern = (offset: number, length: number) => ({ length, hex: patternBytes(offset, length).toString('hex') });

    // Not 0-0: s3rver reads an end of 0 as "to the end" (real S3 does not).
    expect(await range(0, 1)).toEqual(pattern(0, 2));
    expect(await range(partSizeBytes - 10, partSizeBytes + 9)).toEqual(pattern(partSizeBytes - 10, 20));
    expect(await range(size - 5, size - 1)).toEqual(pattern(size - 5, 5));
    expect(await range(size - 5, size + 100)).toEqual(pattern(size - 5, 5));
    expect(await range(size + 10, size + 20)).toEqual({ length: 0, hex: '' });
    await expect(store.get('ranged', { start: 5, end: 4 })).rejects.toThrow(RangeError);
  });

  it('has no object at a missing key, nor at a folder, nor below an object', async () => {
    await fresh();
    await store.put('folder/object', Readable.from([Buffer.from('x')]));
    for (const key of ['missing', 'folder', 'folder/object/below']) {
      expect(await store.head(key)).toBeNull();
      const error = await store.get(key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ObjectNotFoundError);
      expect(error).toMatchObject({ key });
    }
  });

  it('replaces an object on put', async () => {
    await fresh();
    await store.put('same', Readable.from([Buffer.from('first version')]));
    await store.put('same', Readable.from([Buffer.from('second')]));
    expect((await readAll(await store.get('same'))).toString()).toBe('second');
    expect(await store.head('same')).toMatchObject({ sizeBytes: 6 });
  });

  it('shows an object only once put resolves', async () => {
    await fresh();
    const body = new PassThrough();
    const putting = store.put('slow/backup.dump', body);
    await writePattern(body, 0, 3 * mebibyte);
    expect(await store.head('slow/backup.dump')).toBeNull();
    await writePattern(body, 3 * mebibyte, 9 * mebibyte);
    expect(await store.head('slow/backup.dump')).toBeNull();
    expect(await keysOf(store, '')).toEqual([]);
    body.end();
    await expect(putting).resolves.toEqual({ sizeBytes: 12 * mebibyte });
    expect(await store.head('slow/backup.dump')).toMatchObject({ sizeBytes: 12 * mebibyte });
  });

  it('rejects a put whose body fails midway, leaving nothing', async () => {
    await fresh();
    const failing = Readable.from(
      (function* () {
        yield* patternChunks(7 * mebibyte);
        throw new Error('pg_dump broke');
      })(),
    );
    await expect(store.put('broken/backup.dump', failing)).rejects.toThrow('pg_dump broke');
    expect(await store.head('broken/backup.dump')).toBeNull();
    expect(await subject.openUploads('')).toBe(0);
    expect(await keysOf(store, '')).toEqual([]);
  });

  it('rejects a put aborted through its signal, leaving nothing', async () => {
    await fresh();
    const body = new PassThrough();
    const controller = new AbortController();
    const putting = store.put('aborted/backup.dump', body, { signal: controller.signal });
    const outcome = putting.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    // More than one part, and a body that then stalls: the upload is under way when the abort comes.
    await writePattern(body, 0, partSizeBytes + mebibyte);
    await eventually(async () => (await subject.openUploads('')) > 0, 'the upload has started');
    controller.abort(new Error('canceled by the user'));

    expect(await outcome).toMatchObject({ name: 'AbortError' });
    expect(body.destroyed).toBe(true);
    expect(await store.head('aborted/backup.dump')).toBeNull();
    expect(await subject.openUploads('')).toBe(0);
  });

  it('rejects a put whose signal was aborted before it started', async () => {
    await fresh();
    await expect(store.put('early', Readable.from(patternChunks(1000)), { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await store.head('early')).toBeNull();
    expect(await subject.openUploads('')).toBe(0);
  });

  it('deletes an object, and a missing one without complaint', async () => {
    await fresh();
    await store.put('doomed', Readable.from([Buffer.from('x')]));
    await store.delete('doomed');
    expect(await store.head('doomed')).toBeNull();
    await expect(store.delete('doomed')).resolves.toBeUndefined();
    await expect(store.delete('never/was')).resolves.toBeUndefined();
  });

  it('deletes everything under a prefix and nothing outside it', async () => {
    await fresh();
    for (const key of ['a/1', 'a/2', 'a/b/3', 'ab/4', 'x']) await store.put(key, Readable.from([Buffer.from(key)]));
    expect(await store.deletePrefix('a/')).toBe(3);
    expect(await keysOf(store, '')).toEqual(['ab/4', 'x']);
    expect(await store.deletePrefix('a/')).toBe(0);
    expect(await store.deletePrefix('nothing/here/')).toBe(0);
  });

  it('deletes unfinished uploads under a prefix', async () => {
    await fresh();
    const body = new PassThrough();
    const controller = new AbortController();
    const putting = store.put('p/backup.dump', body, { signal: controller.signal }).catch(() => undefined);
    await writePattern(body, 0, partSizeBytes + mebibyte);
    await eventually(async () => (await subject.openUploads('p/')) > 0, 'the upload has started');

    expect(await store.deletePrefix('p/')).toBe(0);
    expect(await subject.openUploads('p/')).toBe(0);
    controller.abort();
    await putting;
    expect(await subject.openUploads('')).toBe(0);
    expect(await store.head('p/backup.dump')).toBeNull();
  });

  it('lists the objects under a prefix with their sizes', async () => {
    await fresh();
    await store.put('a/1', Readable.from([Buffer.from('1')]));
    await store.put('a/b/2', Readable.from([Buffer.from('22')]));
    await store.put('ab/3', Readable.from([Buffer.from('333')]));

    const listed = [];
    for await (const object of store.list('a/')) listed.push(object);
    listed.sort((x, y) => x.key.localeCompare(y.key));
    expect(listed).toMatchObject([
      { key: 'a/1', sizeBytes: 1 },
      { key: 'a/b/2', sizeBytes: 2 },
    ]);
    expect(listed[0]?.lastModified).toBeInstanceOf(Date);
    expect(await keysOf(store, '')).toEqual(['a/1', 'a/b/2', 'ab/3']);
    expect(await keysOf(store, 'none/')).toEqual([]);
  });

  it('refuses invalid keys and prefixes', async () => {
    await fresh();
    for (const key of ['../x', '/abs', '', 'a/../b', './a', 'a//b', 'a/', 'a\\b']) {
      await expect(store.put(key, Readable.from([Buffer.from('x')])), key).rejects.toThrow(InvalidObjectKeyError);
      await expect(store.head(key), key).rejects.toThrow(InvalidObjectKeyError);
      await expect(store.get(key), key).rejects.toThrow(InvalidObjectKeyError);
      await expect(store.delete(key), key).rejects.toThrow(InvalidObjectKeyError);
    }
    for (const prefix of ['', 'a', '../', '/a/']) await expect(store.deletePrefix(prefix), prefix).rejects.toThrow(InvalidObjectKeyError);
    await expect(keysOf(store, 'a')).rejects.toThrow(InvalidObjectKeyError);
    expect(await keysOf(store, '')).toEqual([]);
  });

  it('serves a presigned download with no credentials until it expires', async (context) => {
    await fresh();
    if (!store.presignedDownloadUrl) return context.skip('this store has no presigned URLs; the API serves its own');
    const key = 'projects/p/services/s/backups/b/backup.dump';
    await store.put(key, Readable.from(patternChunks(100_000)));
    const signedAt = Date.now();
    const url = await store.presignedDownloadUrl(key, { expiresInSeconds: 2, fileName: 'orders-db-20260301T120000Z.dump' });

    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="orders-db-20260301T120000Z.dump"');
    expect(Buffer.from(await response.arrayBuffer()).equals(patternBytes(0, 100_000))).toBe(true);

    // The signature's clock has whole seconds: a second more makes sure it has passed.
    await new Promise((resolve) => setTimeout(resolve, signedAt + 3_100 - Date.now()));
    const expired = await fetch(url);
    await expired.arrayBuffer();
    expect(expired.status).toBe(403);
  });
});

describe('S3Store when S3 cannot be reached', () => {
  it('rejects put and head with StorageUnavailableError that names no secret', async () => {
    const port = await closedPort();
    const secretAccessKey = 'the-secret-access-key-0123456789';
    const store = new S3Store({ bucket: 'backups', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey } });
    try {
      const body = Readable.from(patternChunks(1000));
      const putError = await store.put('x/backup.dump', body).catch((error: unknown) => error);
      expect(putError).toBeInstanceOf(StorageUnavailableError);
      expect((putError as Error).message).toMatch(/ECONNREFUSED/);
      expect((putError as Error).message).not.toContain(secretAccessKey);
      expect(body.destroyed).toBe(true);

      const headError = await store.head('x/backup.dump').catch((error: unknown) => error);
      expect(headError).toBeInstanceOf(StorageUnavailableError);
      expect((headError as Error).message).not.toContain(secretAccessKey);
      await expect(store.get('x/backup.dump')).rejects.toThrow(StorageUnavailableError);
      await expect(store.deletePrefix('x/')).rejects.toThrow(StorageUnavailableError);
    } finally {
      store.destroy();
    }
  });
});

async function keysOf(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys = [];
  for await (const object of store.list(prefix)) keys.push(object.key);
  return keys.sort();
}

/** A loopback port that nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
