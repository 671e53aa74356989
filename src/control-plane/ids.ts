import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

export type IdPrefix = 'prj' | 'tok' | 'svc' | 'bkp' | 'whk' | 'rst' | 'vrf' | 'chk';

/**
 * Resource ids such as `bkp_3k9x…`: the prefix tells a person (and a support ticket) what kind
 * of object an id names; 80 random bits make them unguessable.
 */
export function newId(prefix: IdPrefix): string {
  const bytes = randomBytes(16);
  let text = '';
  for (let i = 0; i < 16; i++) text += alphabet[bytes[i]! & 31];
  return `${prefix}_${text}`;
}

export function isId(prefix: IdPrefix, value: string): boolean {
  return new RegExp(`^${prefix}_[0-9a-z]{16}$`).test(value);
}
