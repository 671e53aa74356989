import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionsFileText, optionValue } from './options-file.js';
import { restoreClientArgs, runRestoreClient } from './restore-client.js';

const run = promisify(execFile);
const q = (name: string) => `\`${name.replaceAll('`', '``')}\``;
const target = { host: '127.0.0.1', address: '127.0.0.1', port: 3306, database: 'x', user: 'root' };

describe('restore client argv and options file', () => {
  it('quotes option values so that quotes, backslashes and # are literal', () => {
    expect(optionValue('user name', 'a"b\\c #d')).toBe('"a\\"b\\\\c #d"');
    expect(optionsFileText({ user: '-u', password: undefined })).toBe('[client]\nuser="-u"\n');
    expect(() => optionValue('user name', 'a\nb')).toThrow(/line break/);
  });

  it('puts the options file first and the database literally after --database=', () => {
    const args = restoreClientArgs(target, { optionsFile: '/w/o.cnf', database: '-x `y` "z"', lockWaitTimeoutSeconds: 7 });
    expect(args[0]).toBe('--defaults-extra-file=/w/o.cnf');
    expect(args.at(-1)).toBe('--database=-x `y` "z"');
    expect(args).toContain('--binary-mode');
    expect(args.join(' ')).not.toMatch(/password/);
  });
});

/** The real client restoring a real mariadb-dump, as a user whose name and password need quoting. */
describe('runRestoreClient', () => {
  const suffix = randomBytes(4).toString('hex');
  const source = `lb src ${suffix} \`q\` "d" -`;
  const user = `lb-u ${suffix}"#`;
  const password = `p'w"\\#${suffix}`;
  const made: string[] = [source];
  let admin: mysql.Connection;
  let work: string;
  let dump: Buffer;

  beforeAll(async () => {
    admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', charset: 'utf8mb4' });
    work = await mkdtemp(join(tmpdir(), 'lb-mariadb-client-'));
    await admin.query(`CREATE DATABASE ${q(source)} CHARACTER SET utf8mb4`);
    await admin.query(`CREATE TABLE ${q(source)}.t (id INT PRIMARY KEY, s VARCHAR(20), b BLOB, d DECIMAL(20,6), j JSON)`);
    await admin.query(`INSERT INTO ${q(source)}.t VALUES (1, '😀 привет', 0x00FF275C0D0A, 12345678901234.123456, '{"k": [1]}'), (2, 'x', NULL, -1, NULL)`);
    await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
    await admin.query(`GRANT ALL ON *.* TO ?@?`, [user, '%']);
    const { stdout } = await run('mariadb-dump', ['-h127.0.0.1', '-uroot', '--single-transaction', '--quick', '--routines', '--triggers', '--events', '--hex-blob', '--default-character-set=utf8mb4', '--skip-lock-tables', '--no-tablespaces', '--skip-dump-date', '--', source], { encoding: 'buffer', maxBuffer: 1 << 28 });
    dump = stdout;
  });
  afterAll(async () => {
    for (const name of made) await admin.query(`DROP DATABASE IF EXISTS ${q(name)}`);
    await admin.query('DROP USER IF EXISTS ?@?', [user, '%']);
    await admin.end();
    await rm(work, { recursive: true, force: true });
  });

  const checksum = async (database: string) => ((await admin.query(`CHECKSUM TABLE ${q(database)}.t`)) as unknown as [{ Checksum: number }[]])[0][0]!.Checksum;
  const restoreInto = async (database: string, sql: Buffer) => {
    made.push(database);
    await admin.query(`CREATE DATABASE ${q(database)} CHARACTER SET utf8mb4`);
    await runRestoreClient({ target: { ...target, user }, password, database, sql: Readable.from([sql]), workDir: work, signal: new AbortController().signal, env: { PATH: process.env.PATH } });
  };

  it('restores every byte into a database whose name needs quoting, and removes its options file', async () => {
    const copy = `lb copy ${suffix} \`b\` '-`;
    await restoreInto(copy, dump);
    expect(await checksum(copy)).toBe(await checksum(source));
    expect(await readdir(work)).toEqual([]);
    expect(gzipSync(dump).length).toBeGreaterThan(0);
  });

  it('refuses a truncated dump, and a dump that switches database, with restore_failed', async () => {
    await expect(restoreInto(`lb trunc ${suffix}`, dump.subarray(0, dump.length - 40))).rejects.toMatchObject({ failure: { code: 'restore_failed', message: expect.stringMatching(/Dump completed/) } });
    const other = `lb other ${suffix}`;
    made.push(other);
    await admin.query(`CREATE DATABASE ${q(other)}`);
    const redirect = Buffer.concat([Buffer.from(`USE ${q(other)};\nCREATE TABLE planted (i int);\n`), dump]);
    await expect(restoreInto(`lb redir ${suffix}`, redirect)).rejects.toMatchObject({ failure: { code: 'restore_failed', message: expect.stringMatching(/switches or changes a database/) } });
    const [rows] = (await admin.query('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [other])) as unknown as [{ n: number }[]];
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it("reports the client's error on a dump that fails halfway", async () => {
    const broken = Buffer.from(dump.toString('latin1').replace('INSERT INTO `t` VALUES', 'INSERT INTO `missing_table` VALUES'), 'latin1');
    await expect(restoreInto(`lb broken ${suffix}`, broken)).rejects.toMatchObject({ failure: { code: 'restore_failed', message: expect.stringMatching(/missing_table/) } });
  });
});
