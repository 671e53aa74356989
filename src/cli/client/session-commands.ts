import type { Command } from 'commander';
import { ApiClient } from './api-client.js';
import { type Connection, configPath, forgetConnection, saveConnection } from './connection.js';
import type { GlobalFlags, Run } from './context.js';
import { CliError, exitCodes } from './errors.js';
import { type Output, printFields, printJson } from './output.js';

/** Runs a command body with the shared output and error handling, without needing a login (commands.ts). */
export type Guard = (body: (out: Output) => Promise<number | void>) => Promise<void>;

interface Whoami {
  kind: 'admin' | 'project';
  projectId: string | null;
  role: string | null;
}

/** `lifeboat login|logout|whoami`: which Lifeboat and token the other commands use. */
export function registerSessionCommands(
  program: Command,
  { run, guarded, flags, env }: { run: Run; guarded: Guard; flags: () => GlobalFlags; env: Readonly<Record<string, string | undefined>> },
): void {
  program
    .command('login')
    .description('check --url and --token (GET /v1/whoami), then remember them for the other commands')
    .action(() =>
      guarded(async (out) => {
        // --url and --token are the program's own options, so they are read from there.
        const { url, token } = flags();
        if (!url || !token) throw new CliError('usage: lifeboat login --url <url> --token <token>', exitCodes.usage, 'usage');
        const connection = { url: apiUrl(url), token };
        const me = await whoamiAt(connection);
        const path = await saveConnection(connection, env);
        if (out.json) return printJson(out, { ...me, url: connection.url, savedTo: path });
        out.write(`logged in to ${connection.url} as ${describe(me)}; saved to ${path}\n`);
      }),
    );

  program
    .command('logout')
    .description('forget the saved login (the token itself stays valid: `lifeboat tokens revoke` ends it)')
    .action(() =>
      guarded(async (out) => {
        const path = configPath(env);
        const removed = await forgetConnection(env);
        if (out.json) return printJson(out, { removed, path });
        out.write(removed ? `removed the login saved in ${path}\n` : `no login was saved in ${path}\n`);
        if (env.LIFEBOAT_TOKEN) out.write('LIFEBOAT_TOKEN is still set in the environment: commands keep using it\n');
      }),
    );

  program
    .command('whoami')
    .description('which Lifeboat the commands talk to, and what the token is: the admin, or a project and its role')
    .action(
      run(async (context) => {
        const me = await context.api.request<Whoami>('GET', '/v1/whoami');
        if (context.out.json) return printJson(context.out, { ...me, url: context.api.baseUrl });
        printFields(context.out, [
          ['url', context.api.baseUrl],
          ['token', me.kind === 'admin' ? 'admin (every project)' : 'project token'],
          ['project', me.projectId],
          ['role', me.role],
        ]);
      }),
    );
}

/** The API's base URL as given, checked to be one, without trailing slashes. */
function apiUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--url ${text} is not a URL (for example http://127.0.0.1:8080)`, exitCodes.usage, 'usage');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--url ${text} is not an http:// or https:// URL`, exitCodes.usage, 'usage');
  return text.replace(/\/+$/, '');
}

/**
 * Asks the API who the token is. A refused token stays a refusal (exit 3, `unauthorized`); any
 * other answer that is not the API's is a wrong URL (exit 4): nothing is saved either way.
 */
async function whoamiAt(connection: Connection): Promise<Whoami> {
  let me: Whoami;
  try {
    me = await new ApiClient(connection).request<Whoami>('GET', '/v1/whoami');
  } catch (error) {
    if (error instanceof CliError && error.code !== 'unauthorized' && error.code !== 'rate_limited' && error.exitCode === exitCodes.refused) {
      throw new CliError(
        `${connection.url} is not the address of a Lifeboat API (GET /v1/whoami answered ${error.code ?? 'an error'}: ${error.message}); give its base URL, such as http://127.0.0.1:8080; nothing was saved`,
        exitCodes.unavailable,
        'not_lifeboat',
      );
    }
    if (error instanceof CliError) throw new CliError(`${error.message}; nothing was saved`, error.exitCode, error.code);
    throw error;
  }
  if (me?.kind !== 'admin' && me?.kind !== 'project') throw new CliError(`${connection.url} is not the address of a Lifeboat API: GET /v1/whoami did not say who the token is; nothing was saved`, exitCodes.unavailable, 'not_lifeboat');
  return me;
}

function describe(me: Whoami): string {
  return me.kind === 'admin' ? 'the admin' : `${me.role ?? 'a member'} of project ${me.projectId ?? '?'}`;
}
