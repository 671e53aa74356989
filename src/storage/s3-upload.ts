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
 * at most (queueSize + 1) × partSizeBytes whatever the body's size and S3's speed. Each part is a
 * Buffer, so the SDK can retry it; the chunks are copied into it as they are read, and a part's
 * buffer is filled again once its upload has settled (see `PartBuffers`).
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
  const buffers = new PartBuffers(partSizeBytes);
  const sendPart = (partNumber: number, buffer: Buffer, length: number) => {
    const data = buffer.subarray(0, length);
    const request = client
      .send(new UploadPartCommand({ Bucket: target.Bucket, Key: target.Key, UploadId: uploadId, PartNumber: partNumber, Body: data, ContentLength: data.length }), {
        abortSignal: stop.signal,
      })
      .then((result) => {
        if (result.ETag === undefined) throw new StorageUnavailableError(`S3 returned no ETag for part ${partNumber} while ${doing}`);
        parts.push({ PartNumber: partNumber, ETag: result.ETag });
      }, rethrow)
      .catch(fail)
      .finally(() => {
        inFlight.delete(request);
        buffers.release(buffer);
      });
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
    // The part being filled; taken when its first byte is read, so an empty body takes none.
    let part: Buffer | undefined;
    let filled = 0;
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      sizeBytes += bytes.length;
      while (bytes.length > 0) {
        part ??= buffers.take();
        const copied = bytes.copy(part, filled);
        filled += copied;
        bytes = bytes.subarray(copied);
        if (filled < partSizeBytes) continue;
        const number = nextPartNumber();
        // Creating is not cancelled by the signal: once S3 has an upload id we must know it to abort it.
        uploadId ??= await createUpload(client, target).catch(rethrow);
        await waitForRoom(1);
        sendPart(number, part, filled);
        part = undefined;
        filled = 0;
      }
    }
    if (stop.signal.aborted) throw failure;
    // The body has ended: from here on the upload commits, and the caller's signal no longer cancels it.
    signal?.removeEventListener('abort', onAbort);

    if (uploadId === undefined) {
      const whole = part?.subarray(0, filled) ?? Buffer.alloc(0);
      await client.send(new PutObjectCommand({ ...target, Body: whole, ContentLength: whole.length })).catch(rethrow);
      return { sizeBytes };
    }
    if (part) {
      const number = nextPartNumber();
      await waitForRoom(1);
      sendPart(number, part, filled);
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

/**
 * The buffers parts are assembled in. Fresh memory costs a page fault per 4 KiB page when first
 * written: ~55 ms of the agent's one thread per 16 MiB part on the virtual machines this was
 * measured on (pg_dump's pipe fills meanwhile), against ~2 ms to fill a buffer used before. A
 * buffer comes back once the upload of its part has settled, retries included; a new one's
 * pages are only touched as far as it is filled, so a small body costs only its own bytes.
 */
class PartBuffers {
  private readonly spare: Buffer[] = [];

  constructor(private readonly size: number) {}

  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  release(buffer: Buffer): void {
    this.spare.push(buffer);
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
