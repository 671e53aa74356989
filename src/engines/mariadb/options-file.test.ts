import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRoot, mariadbHost, mariadbPort } from '../../../test/support/mariadb-fixture.js';
import mysql from 'mysql2/promise';
import { optionsFileText, optionValue, writeOptionsFile } from './options-file.js';

const run = promisify(execFile);

describe('the MariaDB options file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeboat-options-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('quotes values and escapes backslashes and double quotes', () => {
    expect(optionValue('password', 'plain')).toBe('"plain"');
    expect(optionValue('password', 'a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(optionsFileText({ user: 'app', password: undefined })).toBe('[client]\nuser="app"\n');
  });

  it('refuses control characters', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\u0000b', 'a\tb']) expect(() => optionValue('password', bad)).toThrow(/control character/);
  });

  it('is created 0600 and removed', async () => {
    const file = await writeOptionsFile(dir, { user: 'app', password: 'secret' });
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    await file.remove();
    expect(existsSync(file.path)).toBe(false);
    await file.remove();
  });

  it('makes the real client take any user and password literally', async () => {
    const awkward = [`q'uote"d`, 'back\\slash\\', '#not a comment', 'a=b=c', ' spaced ', '; semi', '`tick`', '-leading'];
    for (const [i, password] of awkward.entries()) {
      const user = `lb opt${i}'"#=`;
      const account = `${mysql.escape(user)}@'%'`;
      await asRoot([`DROP USER IF EXISTS ${account}`, `CREATE USER ${account} IDENTIFIED BY ${mysql.escape(password)}`]);
      const file = await writeOptionsFile(dir, { user, password });
      try {
        const { stdout } = await run('mariadb', [`--defaults-extra-file=${file.path}`, '--protocol=TCP', `--host=${mariadbHost}`, `--port=${mariadbPort}`, '--batch', '--skip-column-names', '-e', 'SELECT CURRENT_USER()']);
        expect(stdout.trim(), password).toBe(`${user}@%`);
      } finally {
        await file.remove();
        await asRoot([`DROP USER IF EXISTS ${account}`]);
      }
    }
  });
});
