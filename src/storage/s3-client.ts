import { createHash } from 'node:crypto';
import { S3Client, type S3ClientConfig, S3ServiceException } from '@aws-sdk/client-s3';
import { StorageUnavailableError } from './object-store.js';

export interface S3ClientSettings {
  /** `http(s)://host:port` of an S3-compatible server; unset for AWS. */
  endpoint: string | undefined;
  /** Unset: the SDK's chain (AWS_REGION, profile); `us-east-1` when an endpoint is given. */
  region: string | undefined;
  forcePathStyle: boolean;
  /** Unset: the SDK's default chain (environment, profile, web identity, container, instance role). */
  credentials: S3ClientConfig['credentials'] | undefined;
}

/**
 * An S3 client that talks to AWS and to S3-compatible servers alike: path-style addressing for
 * the latter, and checksums only where the API requires them (with the SDK's newer defaults,
 * streamed bodies were stored with aws-chunked framing by some servers).
 */
export function createS3Client(settings: S3ClientSettings): S3Client {
  const config: S3ClientConfig = {
    forcePathStyle: settings.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A dead endpoint fails in seconds rather than hanging a backup; an idle socket after two minutes.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
  };
  if (settings.endpoint !== undefined) config.endpoint = settings.endpoint;
  const region = settings.region ?? (settings.endpoint !== undefined ? 'us-east-1' : undefined);
  if (region !== undefined) config.region = region;
  if (settings.credentials !== undefined) config.credentials = settings.credentials;

  const client = new S3Client(config);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'DeleteObjectsCommand') useContentMd5(args.request);
      return next(args);
    },
    // After the SDK's checksum middleware (same step, normal priority), so that ours has the last word.
    { step: 'build', priority: 'low', name: 'lifeboatDeleteObjectsContentMd5' },
  );
  return client;
}

/**
 * DeleteObjects must carry a checksum; the SDK now sends CRC32, which several S3-compatible
 * servers (older MinIO and Ceph, OVH) refuse with MissingContentMD5. AWS accepts Content-MD5 too.
 */
function useContentMd5(request: unknown): void {
  const http = request as { headers?: Record<string, string>; body?: unknown };
  if (!http.headers || (typeof http.body !== 'string' && !(http.body instanceof Uint8Array))) return;
  for (const name of Object.keys(http.headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-amz-checksum-') || lower.startsWith('x-amz-sdk-checksum-')) delete http.headers[name];
  }
  http.headers['content-md5'] = createHash('md5').update(http.body).digest('base64');
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

/**
 * What a failed S3 call becomes: StorageUnavailableError, whose message names the S3 error code
 * or network error and never the server's own text (which may quote request details), nor any
 * credential. Abort errors pass through unchanged. Only for errors of `client.send`.
 */
export function storageError(error: unknown, doing: string): unknown {
  if (!(error instanceof Error) || error.name === 'AbortError' || error instanceof StorageUnavailableError) return error;
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    return new StorageUnavailableError(`S3 refused ${doing}: ${error.name}${status === undefined ? '' : ` (HTTP ${status})`}`, { cause: error });
  }
  if (error.name === 'CredentialsProviderError') {
    return new StorageUnavailableError(`no S3 credentials were found for ${doing} (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile or a role)`, {
      cause: error,
    });
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && networkCodes.has(code)) return new StorageUnavailableError(`S3 could not be reached for ${doing}: ${code}`, { cause: error });
  if (error.name === 'TimeoutError') return new StorageUnavailableError(`S3 did not answer in time for ${doing}`, { cause: error });
  // The SDK's own messages (a missing region, a malformed endpoint) help and hold no secrets.
  const detail = error.message.split('\n')[0]?.slice(0, 200) ?? '';
  return new StorageUnavailableError(`S3 failed ${doing}: ${error.name}${detail ? `: ${detail}` : ''}`, { cause: error });
}
