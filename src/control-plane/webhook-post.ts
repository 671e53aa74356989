import type { LookupAddress, LookupOptions } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { NetworkPolicy } from '../contracts/network-policy.js';
import { type LookupAll, resolveTarget } from '../network-policy/network-policy.js';

/**
 * POSTs one webhook body and returns the receiver's status code. The receiver's name is
 * resolved and checked against the network policy once, and the connection goes to that very
 * address (the request's `lookup` hands it back), so a DNS answer that changes between the
 * check and the connection cannot point the request elsewhere. Redirects are never followed,
 * and the answer's body is never read.
 */
export async function postWebhook(input: {
  url: string;
  headers: Record<string, string>;
  body: string;
  policy: NetworkPolicy;
  timeoutMs: number;
  lookup?: LookupAll | undefined;
}): Promise<number> {
  const url = new URL(input.url);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const pinned = await resolveTarget(input.policy, url.hostname, port, input.lookup);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...input.headers, 'content-length': String(Buffer.byteLength(input.body)) },
        // A fresh connection each time: a pooled one could have been opened for an earlier answer.
        agent: false,
        lookup: (_hostname: string, options: LookupOptions, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void) => {
          if (options.all) callback(null, [pinned]);
          else callback(null, pinned.address, pinned.family);
        },
        signal: AbortSignal.timeout(input.timeoutMs),
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    request.on('error', reject);
    request.end(input.body);
  });
}
