import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Download links for artifacts the API serves itself (the filesystem store): the backup id and
 * an expiry, signed with HMAC-SHA256. The link is the whole credential, so it is short-lived.
 */
export interface DownloadLink {
  backupId: string;
  /** Unix seconds. */
  expires: number;
  signature: string;
}

function signatureOf(key: Buffer, backupId: string, expires: number): string {
  return createHmac('sha256', key).update(`download:${backupId}:${expires}`).digest('base64url');
}

export function signDownloadLink(key: Buffer, backupId: string, expiresAt: Date): DownloadLink {
  const expires = Math.floor(expiresAt.getTime() / 1000);
  return { backupId, expires, signature: signatureOf(key, backupId, expires) };
}

export type LinkCheck = 'valid' | 'expired' | 'invalid';

/** Checks a presented link. A bad signature is `invalid` even when the expiry has also passed. */
export function checkDownloadLink(key: Buffer, link: DownloadLink, now: Date): LinkCheck {
  const expected = Buffer.from(signatureOf(key, link.backupId, link.expires));
  const presented = Buffer.from(link.signature);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return 'invalid';
  return now.getTime() >= link.expires * 1000 ? 'expired' : 'valid';
}
