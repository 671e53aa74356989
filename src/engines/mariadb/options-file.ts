import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobFailure } from '../../agent/job-failure.js';

/**
 * The client options file a MariaDB tool reads the credentials from (`--defaults-extra-file`):
 * never argv (visible in /proc to every user), never MYSQL_PWD (visible in /proc/<pid>/environ
 * to the same user, and deprecated). The file is created mode 0600 in the job's own directory
 * and removed when the tool has finished.
 */

export interface OptionsFileValues {
  user: string;
  password: string | undefined;
}

// The option file parser takes a double-quoted value literally except for backslash escapes;
// control characters have no escape it reads back reliably (a newline would end the value).
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]/;

/** One value, double-quoted, escaped so the tool reads back exactly these characters. Pure. */
export function optionValue(name: string, value: string): string {
  if (controlCharacters.test(value)) {
    throw new JobFailure({ code: 'target_not_allowed', message: `the ${name} holds a line break or other control character (newline, tab, NUL…), which a MariaDB options file cannot carry; use one without` });
  }
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** The file's text: `[client]` is read by mariadb-dump, mysqldump and the mariadb client alike. Pure. */
export function optionsFileText(values: OptionsFileValues): string {
  const lines = ['[client]', `user=${optionValue('user name', values.user)}`];
  // No password line at all when there is none: `password=""` would still send an empty one, which is the same, but an absent line says it.
  if (values.password !== undefined && values.password !== '') lines.push(`password=${optionValue('password', values.password)}`);
  return `${lines.join('\n')}\n`;
}

export interface OptionsFile {
  path: string;
  /** Removes the file; safe to call twice. */
  remove(): Promise<void>;
}

/** Writes the options file (0600, a new name: never follows or overwrites what is there) in `dir`. */
export async function writeOptionsFile(dir: string, values: OptionsFileValues): Promise<OptionsFile> {
  const text = optionsFileText(values);
  const path = join(dir, `lifeboat-client-${randomBytes(8).toString('hex')}.cnf`);
  // `wx`: fails if the name exists; the mode applies at creation, so the password is never readable by others.
  await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  return { path, remove: () => rm(path, { force: true }) };
}
