/** Removes every secret from a text before it leaves the agent (messages, logs). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) result = result.split(secret).join('[redacted]');
  }
  return result;
}
