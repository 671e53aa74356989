/**
 * The environment a PostgreSQL client tool gets: where to find it and the locale, nothing of
 * the agent's own (the storage credentials stay with the agent).
 */
export function toolEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of ['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME']) {
    const value = env[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}
