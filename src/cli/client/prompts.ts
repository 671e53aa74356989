import { createInterface } from 'node:readline/promises';
import { CliError, exitCodes } from './errors.js';

/**
 * Questions asked of a person at a terminal: a password without echo, and the name of what a
 * destructive command is about to destroy. Asked on standard error, so standard output stays
 * what the command prints (a table, or JSON). Without a terminal nothing is asked: the command
 * says which option or variable gives the answer instead.
 */
export function atTerminal(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** Reads a line from the terminal without showing it; Enter ends it, Ctrl-C gives up. */
export function readHidden(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    // Echo goes off before the question shows: a password typed (or pasted) the moment it appears is never echoed.
    input.setRawMode(true);
    output.write(question);
    let value = '';
    const finish = (error?: CliError) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new CliError('canceled at the prompt; nothing was done', exitCodes.usage, 'canceled'));
        if (char === '\u0004' && value === '') return finish();
        if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
        else if (char >= ' ') value += char;
      }
    };
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
  });
}

/** Reads a line from the terminal, shown as it is typed. */
export async function readLine(question: string): Promise<string> {
  const lines = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Without a listener, Ctrl-C would only pause the input, and the process would end with 0.
  const canceled = new Promise<never>((_resolve, reject) =>
    lines.once('SIGINT', () => {
      process.stderr.write('\n');
      reject(new CliError('canceled at the prompt; nothing was done', exitCodes.usage, 'canceled'));
    }),
  );
  try {
    return await Promise.race([lines.question(question), canceled]);
  } finally {
    lines.close();
  }
}

/** Where `services add` takes the password from, in this order, and that it is never empty. */
export async function servicePassword(options: { fromStdin: boolean; env: Readonly<Record<string, string | undefined>>; readStdin: () => Promise<string> }): Promise<string> {
  let password: string;
  let source: string;
  if (options.fromStdin) {
    password = (await options.readStdin()).replace(/\r?\n$/, '');
    source = 'standard input (--password-stdin)';
  } else if (options.env.LIFEBOAT_SERVICE_PASSWORD !== undefined) {
    password = options.env.LIFEBOAT_SERVICE_PASSWORD;
    source = 'LIFEBOAT_SERVICE_PASSWORD';
  } else if (atTerminal()) {
    password = await readHidden('Password of the database user (not shown): ');
    source = 'the prompt';
  } else {
    throw new CliError('no password for the service: set LIFEBOAT_SERVICE_PASSWORD, pass --password-stdin, or run on a terminal to be asked for it', exitCodes.usage, 'usage');
  }
  if (password === '') throw new CliError(`the password from ${source} is empty; a service needs its database user's password (nothing was registered)`, exitCodes.usage, 'usage');
  return password;
}

/**
 * A destructive command goes ahead only once its service's name is given: with --confirm, or
 * typed at the prompt on a terminal. `action` says what would happen, for the question.
 */
export async function confirmByName(options: { name: string; given: string | undefined; action: string; command: string }): Promise<string> {
  const { name, given, action, command } = options;
  if (given !== undefined) {
    if (given === name) return name;
    throw new CliError(`--confirm ${given} does not match ${name}; nothing was done`, exitCodes.usage, 'not_confirmed');
  }
  if (!atTerminal()) throw new CliError(`${command} ${action}: pass --confirm ${name} to go ahead when not on a terminal; nothing was done`, exitCodes.usage, 'not_confirmed');
  const typed = (await readLine(`${command} ${action}.\nType ${name} to go ahead: `)).trim();
  if (typed !== name) throw new CliError(`${typed === '' ? 'nothing was typed' : `${typed} is not ${name}`}; nothing was done`, exitCodes.usage, 'not_confirmed');
  return name;
}
