import { get } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { hangUpSignal } from './hang-up.js';

describe('hangUpSignal', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => app?.close());

  /** A server whose one route holds its answer until the client hangs up, or 5 s pass. */
  async function holdingServer() {
    const seen: { hungUp: boolean; after: Promise<boolean> }[] = [];
    app = Fastify();
    app.get('/hold', async (_request, reply) => {
      const gone = hangUpSignal(reply);
      const hungUp = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), Number(_request.headers['x-hold-ms'] ?? 5000));
        gone.addEventListener('abort', () => (clearTimeout(timer), resolve(true)), { once: true });
      });
      // Whether it aborts later, once the answer has been sent.
      const after = new Promise<boolean>((resolve) => {
        gone.addEventListener('abort', () => resolve(true), { once: true });
        setTimeout(() => resolve(false), 300);
      });
      seen.push({ hungUp, after });
      return { hungUp };
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return { url, seen };
  }

  it('aborts when the client goes away before the answer', async () => {
    const { url, seen } = await holdingServer();
    // A client that goes away closes its connection (as a killed CLI does): fetch's abort leaves
    // the socket to undici's keep-alive pool for seconds, so a plain request is destroyed here.
    const request = get(`${url}/hold`).on('error', () => undefined);
    setTimeout(() => request.destroy(), 200);
    const deadline = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen[0]?.hungUp).toBe(true);
  });

  it('does not abort for a client that waits for its answer, nor after it is sent', async () => {
    const { url, seen } = await holdingServer();
    const answer = await fetch(`${url}/hold`, { headers: { 'x-hold-ms': '100' } });
    expect(await answer.json()).toEqual({ hungUp: false });
    expect(await seen[0]?.after).toBe(false);
  });
});
