import { CliError, exitCodes } from './errors.js';

/**
 * Checks of what a command is given, run by commander while it parses (`.argument(…, parser)`,
 * `.option(…, parser)`): a malformed value is wrong usage (exit 2) told in words, before any
 * request, instead of the API's `params.backupId: …` as a refusal.
 */
const idKinds = { bkp: 'backup', tok: 'token', prj: 'project' } as const;

/** A parser for a resource id such as `bkp_3k9x…` (the prefix and 16 letters or digits). */
export function resourceId(prefix: keyof typeof idKinds): (value: string) => string {
  return (value) => {
    if (new RegExp(`^${prefix}_[0-9a-z]{16}$`).test(value)) return value;
    throw new CliError(`${value} is not a ${idKinds[prefix]} id (${prefix}_…)`, exitCodes.usage, 'usage');
  };
}

/** A parser for a whole number of at least `min`, named by its option in the message. */
export function wholeNumber(option: string, min = 0): (value: string) => number {
  return (value) => {
    if (/^\d+$/.test(value) && Number(value) >= min && Number.isSafeInteger(Number(value))) return Number(value);
    throw new CliError(`${option} takes a whole number${min > 0 ? ` of at least ${min}` : ''}, not ${value}`, exitCodes.usage, 'usage');
  };
}
