import { hkdfSync } from 'node:crypto';

/**
 * The keys Lifeboat derives from its one secret (LIFEBOAT_SECRET_KEY): one per purpose, so that
 * a signature can never be replayed as a ciphertext or the other way round.
 */
export interface Keys {
  /** AES-256-GCM key for service credentials at rest and in commands. */
  credentials: Buffer;
  /** HMAC-SHA256 key for download links. */
  downloadLinks: Buffer;
}

export function deriveKeys(secret: string): Keys {
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', secret, 'lifeboat', purpose, 32));
  return { credentials: derive('credentials v1'), downloadLinks: derive('download links v1') };
}
