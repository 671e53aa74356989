import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

export interface HeldRequests {
  /** Resolves once `count` matching requests are being held. */
  waitUntilHeld(count: number): Promise<void>;
  /** Lets every held request (and later ones) through. */
  release(): void;
}

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Every request received so far, oldest first. */
  requests: RecordedRequest[];
  /** Holds matching requests before the server sees them: a slow or stalled S3 on demand. */
  hold(match: (request: RecordedRequest) => boolean): HeldRequests;
  /** Answers matching requests with an S3 error until the returned function is called. */
  refuse(match: (request: RecordedRequest) => boolean, status: number, code: string): () => void;
  stop(): Promise<void>;
}

/**
 * A real S3-compatible HTTP server for tests: s3rver 3.7.1 (in-process, files in a temp dir,
 * SigV4 checked with its fixed S3RVER/S3RVER account) on a free loopback port, with one bucket.
 *
 * s3rver lacks two calls the storage contract needs, ListMultipartUploads and
 * AbortMultipartUpload; they are answered here over s3rver's own upload folders (see
 * `multipartGaps`), without checking their signatures.
 */
export async function startS3Server(): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'lifeboat-s3rver-'));
  const bucket = `lifeboat-${randomBytes(4).toString('hex')}`;
  const s3rver = new S3rver({ directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
  await s3rver.configureBuckets();
  const s3rverHandler = s3rver.callback();

  const requests: RecordedRequest[] = [];
  const holds: { match: (request: RecordedRequest) => boolean; gate: Promise<void>; held: number; changed: () => void }[] = [];
  const refusals: { match: (request: RecordedRequest) => boolean; status: number; code: string }[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://s3.test');
      const request: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers };
      requests.push(request);
      for (const hold of holds.filter((candidate) => candidate.match(request))) {
        hold.held++;
        hold.changed();
        await hold.gate;
      }
      const refusal = refusals.find((candidate) => candidate.match(request));
      if (refusal) {
        req.resume();
        res.statusCode = refusal.status;
        res.setHeader('content-type', 'application/xml');
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>refused by the test</Message></Error>`);
      } else if (!(await multipartGaps(directory, request, res))) {
        s3rverHandler(req, res);
      }
    })().catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    requests,
    hold(match) {
      let release!: () => void;
      let changed = () => undefined as void;
      const hold = { match, gate: new Promise<void>((resolve) => (release = resolve)), held: 0, changed: () => changed() };
      holds.push(hold);
      return {
        async waitUntilHeld(count) {
          while (hold.held < count) await new Promise<void>((resolve) => (changed = resolve));
        },
        release() {
          holds.splice(holds.indexOf(hold), 1);
          release();
        },
      };
    },
    refuse(match, status, code) {
      const refusal = { match, status, code };
      refusals.push(refusal);
      return () => void refusals.splice(refusals.indexOf(refusal), 1);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * ListMultipartUploads and AbortMultipartUpload, which s3rver answers with NotImplemented and
 * MethodNotAllowed. s3rver keeps each unfinished upload in `<bucket>/._S3rver_uploads/<id>/`
 * with its key in a file `key`. Returns whether it answered the request.
 */
async function multipartGaps(directory: string, request: RecordedRequest, res: ServerResponse): Promise<boolean> {
  const [bucket, ...keyParts] = request.path.slice(1).split('/').map(decodeURIComponent);
  if (bucket === undefined || bucket === '') return false;
  const uploadsDir = join(directory, bucket, '._S3rver_uploads');
  const key = keyParts.join('/');

  if (request.method === 'GET' && key === '' && request.query.has('uploads')) {
    const prefix = request.query.get('prefix') ?? '';
    const uploads = [];
    for (const uploadId of await readdir(uploadsDir).catch(() => [])) {
      // A part that arrives after an abort re-creates the folder without a key: no upload.
      const uploadKey = await readFile(join(uploadsDir, uploadId, 'key'), 'utf8').catch(() => undefined);
      if (uploadKey === undefined || !uploadKey.startsWith(prefix)) continue;
      const { birthtime } = await stat(join(uploadsDir, uploadId));
      uploads.push({ key: uploadKey, uploadId, initiated: birthtime.toISOString() });
    }
    uploads.sort((a, b) => a.key.localeCompare(b.key) || a.uploadId.localeCompare(b.uploadId));
    const entries = uploads.map(
      (upload) =>
        `<Upload><Key>${xml(upload.key)}</Key><UploadId>${upload.uploadId}</UploadId><Initiated>${upload.initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
    );
    res.setHeader('content-type', 'application/xml');
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Bucket>${xml(bucket)}</Bucket><Prefix>${xml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${entries.join('')}</ListMultipartUploadsResult>`,
    );
    return true;
  }

  if (request.method === 'DELETE' && key !== '' && request.query.has('uploadId')) {
    const uploadId = request.query.get('uploadId') ?? '';
    const folder = join(uploadsDir, uploadId);
    const uploadKey = /^[0-9a-f]+$/.test(uploadId) ? await readFile(join(folder, 'key'), 'utf8').catch(() => undefined) : undefined;
    if (uploadKey !== key) {
      res.statusCode = 404;
      res.setHeader('content-type', 'application/xml');
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`);
      return true;
    }
    await rm(folder, { recursive: true, force: true });
    res.statusCode = 204;
    res.end();
    return true;
  }
  return false;
}

function xml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
