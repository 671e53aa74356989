import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, exitCodes } from './errors.js';

export interface Connection {
  url: string;
  token: string;
}

/** Where `lifeboat login` keeps the URL and token: $LIFEBOAT_CONFIG, else ~/.config/lifeboat/config.json (mode 0600). */
export function configPath(env: Readonly<Record<string, string | undefined>>): string {
  return env.LIFEBOAT_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'lifeboat', 'config.json');
}

/** The API to talk to: flags first, then LIFEBOAT_URL / LIFEBOAT_TOKEN, then the login file. */
export async function resolveConnection(flags: { url?: string; token?: string }, env: Readonly<Record<string, string | undefined>>): Promise<Connection> {
  const saved: Partial<Connection> = await readFile(configPath(env), 'utf8')
    .then((text) => JSON.parse(text) as Partial<Connection>)
    .catch(() => ({}));
  const url = flags.url ?? env.LIFEBOAT_URL ?? saved.url;
  const token = flags.token ?? env.LIFEBOAT_TOKEN ?? saved.token;
  if (!url || !token) {
    throw new CliError('no Lifeboat to talk to: run `lifeboat login --url <url> --token <token>`, or set LIFEBOAT_URL and LIFEBOAT_TOKEN', exitCodes.usage);
  }
  return { url: url.replace(/\/+$/, ''), token };
}

export async function saveConnection(connection: Connection, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(connection, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** Removes the saved login; answers whether there was one. */
export async function forgetConnection(env: Readonly<Record<string, string | undefined>>): Promise<boolean> {
  return rm(configPath(env)).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw new CliError(`cannot remove the saved login: ${error.message}`, exitCodes.operationFailed);
    },
  );
}
