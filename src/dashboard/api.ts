import { session } from './session.js';

/** The API the dashboard is served by, called with the session's token. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${session.token() ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = (text === '' ? null : JSON.parse(text)) as { error?: { code: string; message: string } } | null;
  if (!response.ok) throw new ApiError(response.status, parsed?.error?.code ?? 'error', parsed?.error?.message ?? `the API answered ${response.status}`);
  return parsed as T;
}

/**
 * Follows GET /v1/events: server-sent events read over fetch, so the token travels in a header
 * rather than the URL (EventSource cannot send one). Reconnects, resuming from the last event.
 */
export function followEvents(onEvent: (type: string, data: unknown) => void): () => void {
  const controller = new AbortController();
  let lastEventId = '';
  const run = async () => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch('/v1/events', {
          headers: { authorization: `Bearer ${session.token() ?? ''}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
          signal: controller.signal,
        });
        if (!response.ok || !response.body) throw new Error(`events answered ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const fields = Object.fromEntries(block.split('\n').filter((line) => !line.startsWith(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trimStart()]));
            if (fields.id) lastEventId = fields.id;
            if (fields.event && fields.data) onEvent(fields.event, JSON.parse(fields.data));
          }
        }
      } catch {
        // Network trouble or a restart: try again shortly.
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };
  void run();
  return () => controller.abort();
}
