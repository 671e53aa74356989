import type { FastifyReply } from 'fastify';

/**
 * Aborts when the client goes away before its answer is sent. The response's `close` is the
 * event to watch: the request's fires as soon as its body has been read, which for a GET is at once.
 */
export function hangUpSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
