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
      throw new CliError(`cannot reach Lifeboat at ${this.connection.url}: ${(error as Error).message}`, exitCodes.unavailable);
    }
    const text = await response.text();
    const parsed = text === '' ? null : (JSON.parse(text) as unknown);
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
