import { fileURLToPath } from 'node:url';
import { assertValidKey } from './object-store.js';

export type ServerSideEncryption = { algorithm: 'AES256' } | { algorithm: 'aws:kms'; kmsKeyId: string | undefined };

export interface FilesystemLocation {
  kind: 'filesystem';
  /** Absolute path of the directory that holds the objects. */
  directory: string;
}

export interface S3Location {
  kind: 's3';
  bucket: string;
  /** Folder inside the bucket that holds every key: '' or ending in '/'. */
  prefix: string;
  /** An S3-compatible server (`http(s)://host:port`); unset for AWS. */
  endpoint: string | undefined;
  region: string | undefined;
  /** Path-style addressing: the default with an endpoint, since most S3-compatible servers want it. */
  forcePathStyle: boolean;
  serverSideEncryption: ServerSideEncryption | undefined;
  /** Unset: the store's default. */
  partSizeBytes: number | undefined;
  queueSize: number | undefined;
}

export type StorageLocation = FilesystemLocation | S3Location;

/**
 * What the SDK's default credential chain reads: the job runner passes these on to agents.
 * Credentials never go in the storage URL.
 */
export const s3CredentialVariables: readonly string[] = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  // Web identity (EKS IRSA) and container credentials (ECS, EKS Pod Identity).
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_EC2_METADATA_DISABLED',
];

export class StorageUrlError extends Error {
  override readonly name = 'StorageUrlError';
}

const example = 's3://bucket/optional/prefix?endpoint=http://host:9000&region=eu-west-1, or file:///absolute/dir';
const s3Parameters = ['endpoint', 'region', 'forcePathStyle', 'sse', 'sseKmsKeyId', 'partSizeMiB', 'queueSize'] as const;
type S3Parameter = (typeof s3Parameters)[number];

/** Parses LIFEBOAT_STORAGE_URL. Error messages never repeat the URL: a mistaken one may hold a secret. */
export function parseStorageUrl(text: string): StorageLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new StorageUrlError(`not a URL; expected ${example}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new StorageUrlError('credentials do not belong in the storage URL; give them through AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a profile or role)');
  }
  if (url.hash !== '') throw new StorageUrlError('the storage URL has a #fragment; remove it');
  switch (url.protocol) {
    case 'file:':
      return fileLocation(text, url);
    case 's3:':
      return s3Location(url);
    default:
      throw new StorageUrlError(`unsupported scheme ${url.protocol}; expected ${example}`);
  }
}

function fileLocation(text: string, url: URL): FilesystemLocation {
  // `new URL` would read `file:dir` or `file://dir/x` as absolute paths; only `file:///…` is one.
  if (!/^file:\/\/(localhost)?\//i.test(text)) {
    throw new StorageUrlError('a file storage URL names an absolute directory: file:///absolute/dir (three slashes)');
  }
  if (url.search !== '') throw new StorageUrlError('a file storage URL takes no parameters');
  let directory: string;
  try {
    directory = fileURLToPath(url);
  } catch (error) {
    throw new StorageUrlError(`the file storage URL does not name a directory: ${(error as Error).message}`, { cause: error });
  }
  return { kind: 'filesystem', directory: directory.length > 1 ? directory.replace(/\/+$/, '') : directory };
}

function s3Location(url: URL): S3Location {
  const bucket = url.hostname;
  if (bucket === '') throw new StorageUrlError('the S3 storage URL names no bucket: s3://bucket/optional/prefix');
  if (url.port !== '') throw new StorageUrlError('an S3 storage URL has no port; give the server as ?endpoint=http://host:port');
  if (!/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/i.test(bucket)) {
    throw new StorageUrlError(`bucket ${JSON.stringify(bucket)} is not a valid name (3 to 63 letters, digits, dots and hyphens)`);
  }

  const parameters = readParameters(url.searchParams);
  const endpoint = parameters.endpoint === undefined ? undefined : parseEndpoint(parameters.endpoint);
  const forcePathStyle = parameters.forcePathStyle === undefined ? endpoint !== undefined : parseBoolean('forcePathStyle', parameters.forcePathStyle);
  const region = parameters.region;
  if (region !== undefined && !/^[a-z0-9-]{1,64}$/.test(region)) throw new StorageUrlError(`region ${JSON.stringify(region)} is not a region name such as eu-west-1`);

  return {
    kind: 's3',
    bucket,
    prefix: parsePrefix(url.pathname),
    endpoint,
    region,
    forcePathStyle,
    serverSideEncryption: parseEncryption(parameters.sse, parameters.sseKmsKeyId),
    partSizeBytes: parameters.partSizeMiB === undefined ? undefined : parseInteger('partSizeMiB', parameters.partSizeMiB, 5, 1024) * 1024 * 1024,
    queueSize: parameters.queueSize === undefined ? undefined : parseInteger('queueSize', parameters.queueSize, 1, 32),
  };
}

function readParameters(search: URLSearchParams): Partial<Record<S3Parameter, string>> {
  const parameters: Partial<Record<S3Parameter, string>> = {};
  for (const [name, value] of search) {
    if (!(s3Parameters as readonly string[]).includes(name)) {
      throw new StorageUrlError(`unknown storage URL parameter ${JSON.stringify(name)}; known: ${s3Parameters.join(', ')}`);
    }
    if (parameters[name as S3Parameter] !== undefined) throw new StorageUrlError(`storage URL parameter ${name} is given twice`);
    parameters[name as S3Parameter] = value;
  }
  return parameters;
}

function parsePrefix(pathname: string): string {
  const path = pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  if (path === '') return '';
  let decoded: string;
  try {
    decoded = path.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw new StorageUrlError('the S3 prefix is not valid percent-encoding');
  }
  try {
    assertValidKey(decoded);
  } catch (error) {
    throw new StorageUrlError(`the S3 prefix ${JSON.stringify(decoded)} is not usable: ${(error as Error).message}`, { cause: error });
  }
  return `${decoded}/`;
}

function parseEndpoint(value: string): string {
  let endpoint: URL;
  try {
    endpoint = new URL(value);
  } catch {
    throw new StorageUrlError(`endpoint ${JSON.stringify(value)} is not a URL such as http://host:9000`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new StorageUrlError(`endpoint must be http:// or https://, not ${endpoint.protocol}`);
  if (endpoint.username !== '' || endpoint.password !== '') throw new StorageUrlError('the endpoint must not hold credentials');
  if (endpoint.search !== '' || endpoint.hash !== '') throw new StorageUrlError('the endpoint takes no query or fragment');
  if (endpoint.pathname !== '/') throw new StorageUrlError('the endpoint is a server (http://host:port) without a path; put the folder in s3://bucket/prefix');
  return endpoint.origin;
}

function parseEncryption(sse: string | undefined, kmsKeyId: string | undefined): ServerSideEncryption | undefined {
  switch (sse) {
    case undefined:
      if (kmsKeyId !== undefined) throw new StorageUrlError('sseKmsKeyId needs sse=aws:kms');
      return undefined;
    case 'AES256':
      if (kmsKeyId !== undefined) throw new StorageUrlError('sseKmsKeyId needs sse=aws:kms, not AES256');
      return { algorithm: 'AES256' };
    case 'aws:kms':
      if (kmsKeyId === '') throw new StorageUrlError('sseKmsKeyId is empty');
      return { algorithm: 'aws:kms', kmsKeyId };
    default:
      throw new StorageUrlError(`sse must be AES256 or aws:kms, not ${JSON.stringify(sse)}`);
  }
}

function parseBoolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new StorageUrlError(`${name} must be true or false, not ${JSON.stringify(value)}`);
}

function parseInteger(name: string, value: string, min: number, max: number): number {
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new StorageUrlError(`${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return number;
}
