import { describe, expect, it } from 'vitest';
import { parseStorageUrl, s3CredentialVariables, StorageUrlError } from './storage-url.js';

describe('parseStorageUrl', () => {
  it('reads an absolute directory from a file URL', () => {
    expect(parseStorageUrl('file:///var/lib/lifeboat/artifacts')).toEqual({ kind: 'filesystem', directory: '/var/lib/lifeboat/artifacts' });
    expect(parseStorageUrl('file:///var/lib/lifeboat/')).toEqual({ kind: 'filesystem', directory: '/var/lib/lifeboat' });
    expect(parseStorageUrl('file://localhost/srv/backups%20here')).toEqual({ kind: 'filesystem', directory: '/srv/backups here' });
    expect(parseStorageUrl('file:///')).toEqual({ kind: 'filesystem', directory: '/' });
  });

  it('refuses relative or host-qualified file URLs, and parameters on them', () => {
    for (const url of ['file:relative/dir', 'file://relative/dir', 'file:/only-one-slash']) {
      expect(() => parseStorageUrl(url), url).toThrow(/file:\/\/\/absolute\/dir/);
    }
    expect(() => parseStorageUrl('file:///dir?endpoint=x')).toThrow('a file storage URL takes no parameters');
  });

  it('reads a bucket with defaults', () => {
    expect(parseStorageUrl('s3://backups')).toEqual({
      kind: 's3',
      bucket: 'backups',
      prefix: '',
      endpoint: undefined,
      region: undefined,
      forcePathStyle: false,
      serverSideEncryption: undefined,
      partSizeBytes: undefined,
      queueSize: undefined,
    });
  });

  it('reads every parameter of an S3-compatible location', () => {
    expect(
      parseStorageUrl('s3://my-bucket/lifeboat/prod/?endpoint=http://minio.local:9000&region=eu-west-1&forcePathStyle=true&sse=aws:kms&sseKmsKeyId=alias/backups&partSizeMiB=16&queueSize=4'),
    ).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'lifeboat/prod/',
      endpoint: 'http://minio.local:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      serverSideEncryption: { algorithm: 'aws:kms', kmsKeyId: 'alias/backups' },
      partSizeBytes: 16 * 1024 * 1024,
      queueSize: 4,
    });
  });

  it('uses path-style addressing with an endpoint unless told otherwise', () => {
    expect(parseStorageUrl('s3://b-1?endpoint=https://s3.example.com')).toMatchObject({ endpoint: 'https://s3.example.com', forcePathStyle: true });
    expect(parseStorageUrl('s3://b-1?endpoint=https://s3.example.com/&forcePathStyle=false')).toMatchObject({ forcePathStyle: false });
    expect(parseStorageUrl('s3://b-1?sse=AES256')).toMatchObject({ serverSideEncryption: { algorithm: 'AES256' } });
    expect(parseStorageUrl('s3://b-1?sse=aws:kms')).toMatchObject({ serverSideEncryption: { algorithm: 'aws:kms', kmsKeyId: undefined } });
  });

  it('decodes the prefix and refuses one that is no valid key', () => {
    expect(parseStorageUrl('s3://b-1/team%20a/x')).toMatchObject({ prefix: 'team a/x/' });
    // The URL parser resolves dot segments, encoded or not, before the prefix is read.
    expect(parseStorageUrl('s3://b-1/a/%2E%2E/b')).toMatchObject({ prefix: 'b/' });
    expect(() => parseStorageUrl('s3://b-1/a%5Cb')).toThrow(/contains a backslash/);
    expect(() => parseStorageUrl('s3://b-1/a//b')).toThrow(/prefix "a\/\/b" is not usable/);
  });

  it.each([
    ['not a url', /not a URL/],
    ['http://host/bucket', /unsupported scheme http:/],
    ['s3://', /names no bucket/],
    ['s3:///prefix', /names no bucket/],
    ['s3://b', /bucket "b" is not a valid name/],
    ['s3://-bucket', /not a valid name/],
    ['s3://bucket:9000/x', /has no port/],
    ['s3://bucket#x', /#fragment/],
    ['s3://bucket?endpoint=minio:9000', /endpoint must be http:\/\/ or https:\/\//],
    ['s3://bucket?endpoint=not%20a%20url', /endpoint "not a url" is not a URL/],
    ['s3://bucket?endpoint=http://host:9000/path', /without a path/],
    ['s3://bucket?endpoint=http://host:9000?x=1', /no query/],
    ['s3://bucket?region=EU%20West', /region "EU West" is not a region name/],
    ['s3://bucket?forcePathStyle=yes', /forcePathStyle must be true or false/],
    ['s3://bucket?sse=DES', /sse must be AES256 or aws:kms/],
    ['s3://bucket?sseKmsKeyId=k', /sseKmsKeyId needs sse=aws:kms/],
    ['s3://bucket?sse=AES256&sseKmsKeyId=k', /sseKmsKeyId needs sse=aws:kms/],
    ['s3://bucket?partSizeMiB=4', /partSizeMiB must be a whole number from 5 to 1024/],
    ['s3://bucket?partSizeMiB=8.5', /partSizeMiB must be a whole number/],
    ['s3://bucket?queueSize=0', /queueSize must be a whole number from 1 to 32/],
    ['s3://bucket?bucket=other', /unknown storage URL parameter "bucket"; known: endpoint, region/],
    ['s3://bucket?region=a&region=b', /region is given twice/],
  ])('refuses %s', (url, message) => {
    expect(() => parseStorageUrl(url)).toThrow(StorageUrlError);
    expect(() => parseStorageUrl(url)).toThrow(message);
  });

  it('refuses credentials in the URL without repeating them', () => {
    for (const url of ['s3://AKIA123:supersecret@bucket/x', 's3://bucket?endpoint=http://user:supersecret@minio:9000']) {
      const error = (() => {
        try {
          parseStorageUrl(url);
        } catch (caught) {
          return caught as Error;
        }
        throw new Error('accepted');
      })();
      expect(error).toBeInstanceOf(StorageUrlError);
      expect(error.message).toMatch(/credentials/);
      expect(error.message).not.toContain('supersecret');
    }
  });

  it('lists the variables an agent needs for S3 credentials', () => {
    expect(s3CredentialVariables).toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION']));
  });
});
