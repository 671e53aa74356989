import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through unchanged while hashing and counting them, so the dump is checksummed
 * on its way to storage without ever being held in memory.
 */
export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly onBytes?: (total: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    callback(null, chunk);
  }

  /** The hex SHA-256 of everything that passed; call once the stream has ended. */
  sha256(): string {
    return this.hash.copy().digest('hex');
  }
}
