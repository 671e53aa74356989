import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  type CompletedPart,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { StorageUnavailableError } from './object-store.js';
import { storageError } from './s3-client.js';

/** What every request of one upload names besides its body. */
export interface UploadTarget {
  Bucket: string;
  Key: string;
  ContentType?: string;
  ServerSideEncryption?: ServerSideEncryption;
  SSEKMSKeyId?: string;
}

export interface UploadLimits {
  /** Every part but the last has exactly this size (Cloudflare R2 requires equal parts). */
  partSizeBytes: number;
  /** Parts in flight at once. */
  queueSize: number;
}

export interface UploadOptions extends UploadLimits {
  signal?: AbortSignal;
  /** What errors say was being done, e.g. `writing projects/…/backup.dump`. */
  doing: string;
}

/** S3's limit on the number of parts: with 16 MiB parts, objects up to 156 GiB. */
const maxParts = 10_000;

/**
 * Streams `body` into one object: a single PUT if it ends within one part, else a multipart
 * upload. The body is read only while fewer than `queueSize` parts are in flight, so memory stays
 * about (queueSize + 1) × partSizeBytes (briefly one part more, while a part is assembled) whatever
 * the body's size and S3's speed. Each part is a Buffer, so the SDK can retry it.
 *
 * On any failure, or when `signal` aborts before the body has ended, the body is destroyed,
 * requests in flight are cancelled, the multipart upload is aborted once they have settled, and
 * only then does the returned promise reject: a caller that sees the rejection can rely on nothing
 * being left. (lib-storage's `Upload` rejects on abort before its multipart upload is aborted, and
 * waits forever on a stalled body: hence this.)
 */
export async function uploadStream(client: S3Client, target: UploadTarget, body: Readable, options: UploadOptions): Promise<{ sizeBytes: number }> {
  const { partSizeBytes, queueSize, signal, doing } = options;
  const rethrow = (error: unknown): never => {
    throw storageError(error, doing);
  };
  const stop = new AbortController();
  let failure: unknown;
  const fail = (error: unknown) => {
    if (stop.signal.aborted) return;
    failure = error;
    stop.abort(error);
    // Also unblocks a read waiting on a stalled body, and tells its producer to stop.
    body.destroy();
  };
  const onAbort = () => fail(abortError(signal));
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();

  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  const sendPart = (partNumber: number, data: Buffer) => {
    const request = client
      .send(new UploadPartCommand({ Bucket: target.Bucket, Key: target.Key, UploadId: uploadId, PartNumber: partNumber, Body: data, ContentLength: data.length }), {
        abortSignal: stop.signal,
      })
      .then((result) => {
        if (result.ETag === undefined) throw new StorageUnavailableError(`S3 returned no ETag for part ${partNumber} while ${doing}`);
        parts.push({ PartNumber: partNumber, ETag: result.ETag });
      }, rethrow)
      .catch(fail)
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };
  const waitForRoom = async (room: number) => {
    while (inFlight.size > queueSize - room) await Promise.race(inFlight);
    if (stop.signal.aborted) throw failure;
  };
  let partNumber = 0;
  const nextPartNumber = () => {
    if (partNumber === maxParts) {
      throw new StorageUnavailableError(`${doing} needs more than ${maxParts} parts of ${partSizeBytes} bytes; raise partSizeMiB in LIFEBOAT_STORAGE_URL`);
    }
    return ++partNumber;
  };

  try {
    let sizeBytes = 0;
    // The part being filled, as the chunks read: a small body never costs a whole part of memory.
    let pending: Buffer[] = [];
    let filled = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      sizeBytes += bytes.length;
      while (filled + bytes.length >= partSizeBytes) {
        const taken = partSizeBytes - filled;
        pending.push(bytes.subarray(0, taken));
        bytes = bytes.subarray(taken);
        const part = Buffer.concat(pending, partSizeBytes);
        pending = [];
        filled = 0;
        const number = nextPartNumber();
        // Creating is not cancelled by the signal: once S3 has an upload id we must know it to abort it.
        uploadId ??= await createUpload(client, target).catch(rethrow);
        await waitForRoom(1);
        sendPart(number, part);
      }
      if (bytes.length > 0) {
        pending.push(bytes);
        filled += bytes.length;
      }
    }
    if (stop.signal.aborted) throw failure;
    // The body has ended: from here on the upload commits, and the caller's signal no longer cancels it.
    signal?.removeEventListener('abort', onAbort);

    const last = Buffer.concat(pending, filled);
    if (uploadId === undefined) {
      await client.send(new PutObjectCommand({ ...target, Body: last, ContentLength: last.length })).catch(rethrow);
      return { sizeBytes };
    }
    if (last.length > 0) {
      const number = nextPartNumber();
      await waitForRoom(1);
      sendPart(number, last);
    }
    await waitForRoom(queueSize);
    parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    await client
      .send(new CompleteMultipartUploadCommand({ Bucket: target.Bucket, Key: target.Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }))
      .catch(rethrow);
    return { sizeBytes };
  } catch (error) {
    fail(error);
    await Promise.allSettled(inFlight);
    if (uploadId !== undefined) await abortUpload(client, target, uploadId);
    throw failure;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function createUpload(client: S3Client, target: UploadTarget): Promise<string> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand(target));
  if (UploadId === undefined) throw new Error('S3 returned no upload id');
  return UploadId;
}

/**
 * Best effort: if this fails too, the parts stay until `deletePrefix` sweeps the backup's folder
 * (the agent calls it after a failed upload) or a bucket lifecycle rule expires them.
 */
async function abortUpload(client: S3Client, target: UploadTarget, uploadId: string): Promise<void> {
  await client.send(new AbortMultipartUploadCommand({ Bucket: target.Bucket, Key: target.Key, UploadId: uploadId })).catch(() => undefined);
}

function abortError(signal: AbortSignal | undefined): Error {
  return Object.assign(new Error('the upload was aborted', { cause: signal?.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}
