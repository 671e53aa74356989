import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for small secrets (service passwords). `context` is authenticated but not stored:
 * a password sealed for one service does not open as another's.
 * Format: `v1.<iv>.<ciphertext+tag>`, base64url.
 */
export function seal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

export class UnsealError extends Error {
  override readonly name = 'UnsealError';
}

export function unseal(key: Buffer, sealed: string, context: string): string {
  const [version, ivText, bodyText] = sealed.split('.');
  if (version !== 'v1' || !ivText || !bodyText) throw new UnsealError('not a sealed value');
  const body = Buffer.from(bodyText, 'base64url');
  if (body.length < 16) throw new UnsealError('sealed value is truncated');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new UnsealError('sealed value does not open with this key (was LIFEBOAT_SECRET_KEY changed?)', { cause: error });
  }
}
