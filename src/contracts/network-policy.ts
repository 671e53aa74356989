import { isIP } from 'node:net';
import { z } from 'zod';

/** A CIDR read into its parts; a bare address is a CIDR of its whole length. Null when it is not one. */
export function parseCidr(text: string): { address: string; prefix: number; family: 4 | 6 } | null {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const family = isIP(address);
  if (rest.length > 0 || (family !== 4 && family !== 6)) return null;
  const bits = family === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: bits, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return null;
  return { address, prefix: Number(prefixText), family };
}

const cidr = z.string().refine((text) => parseCidr(text) !== null, 'must be a CIDR such as 10.0.0.0/8 or fd00::/8');
/** `.db.internal` matches `orders.db.internal`: a leading dot and at least one label. */
export const dnsSuffixPattern = /^(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/**
 * Which addresses the agent and the webhook sender may connect to: the operator's decision
 * (LIFEBOAT_SERVICE_NETWORKS, the server's role). A plain JSON value, because it travels inside
 * the agent's job spec; the rules that read it live in src/network-policy/.
 */
export const networkPolicySchema = z.object({
  /** `any`: every address outside `deny`. Otherwise only these networks, and names under these suffixes. */
  allow: z.union([
    z.literal('any'),
    z.object({ cidrs: z.array(cidr), dnsSuffixes: z.array(z.string().regex(dnsSuffixPattern, 'must be a DNS suffix such as .db.internal')) }),
  ]),
  /** Refused unless an allow CIDR written by the operator covers the address. */
  deny: z.object({
    cidrs: z.array(cidr),
    /** The platform's own database, bus, storage and verification server. */
    endpoints: z.array(z.object({ host: z.string().min(1), port: z.number().int().min(0).max(65535) })),
  }),
});
export type NetworkPolicy = z.infer<typeof networkPolicySchema>;
