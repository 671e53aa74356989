import type { Readable } from 'node:stream';
import { Readable as NodeReadable } from 'node:stream';
import type { Connection } from './connection.js';
import { CliError, exitCodes } from './errors.js';

/** A thin JSON client for the Lifeboat API; API errors become CliErrors with their code and message. */
export class ApiClient {
  constructor(private readonly connection: Connection) {}

  get baseUrl(): string {
    return this.connection.url;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.connection.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.connection.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      // fetch says only "fetch failed"; its cause says why (connect ECONNREFUSED …, getaddrinfo ENOTFOUND …).
      const reason = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
      throw new CliError(`cannot reach Lifeboat at ${this.connection.url}: ${reason}`, exitCodes.unavailable);
    }
    const text = await response.text();
    const parsed = parseJson(text);
    // Something else answers there (a web server, a proxy's error page): not an API refusal.
    if (parsed === notJson) throw new CliError(`${this.connection.url} does not answer as the Lifeboat API (${method} ${path} answered ${response.status} with ${response.headers.get('content-type') ?? 'no content type'})`, exitCodes.unavailable, 'not_lifeboat');
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
      throw new CliError(error?.message ?? `Lifeboat answered ${response.status}`, response.status >= 500 ? exitCodes.unavailable : exitCodes.refused, error?.code);
    }
    return parsed as T;
  }

  /** Fetches a URL (a download link) as a stream, with its size when known. */
  async download(url: string): Promise<{ body: Readable; size: number | undefined }> {
    const response = await fetch(url).catch((error: unknown) => {
      throw new CliError(`cannot download: ${(error as Error).message}`, exitCodes.unavailable);
    });
    if (!response.ok || !response.body) throw new CliError(`the download link answered ${response.status}`, response.status >= 500 ? exitCodes.unavailable : exitCodes.refused);
    const length = response.headers.get('content-length');
    return { body: NodeReadable.fromWeb(response.body), size: length ? Number(length) : undefined };
  }
}

const notJson = Symbol('not JSON');

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return notJson;
  }
}
