/**
 * Exit codes of the `lifeboat` client commands, so scripts can tell what went wrong:
 * 0 done; 1 the operation itself failed (a backup or restore ended failed, a download did not
 * match its checksum); 2 the command was used wrongly (a missing argument, an unknown option, a
 * malformed id) or is not configured; 3 the API refused the request (not found, conflict,
 * forbidden, invalid, unauthorized); 4 Lifeboat could not be reached, is unavailable, or is not
 * what answers at the URL.
 */
export const exitCodes = { ok: 0, operationFailed: 1, usage: 2, refused: 3, unavailable: 4 } as const;

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Tells a person on stderr, and a script on stdout with --json (`{"error": {code, message}}`). */
export function reportError(error: CliError, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: error.code ?? 'error', message: error.message } })}\n`);
  process.stderr.write(`lifeboat: ${error.message}\n`);
}
