import { describe, expect, it } from 'vitest';
import { pgRestoreArgs, pgRestoreScriptArgs, psqlArgs } from './pg-restore.js';

const target = { host: 'db', address: '10.0.0.7', port: 5432, database: 'shop', user: 'app' };
const connection = "--dbname=host='db' hostaddr='10.0.0.7' port='5432' dbname='shop' user='app'";

describe('restore tool arguments', () => {
  it('restores a new database in parallel, connecting by one quoted connection string', () => {
    expect(pgRestoreArgs(target, { database: 'shop_copy', file: '/tmp/x.dump', jobs: 4 })).toEqual([
      '--no-password',
      '--no-owner',
      '--exit-on-error',
      '--jobs=4',
      "--dbname=host='db' hostaddr='10.0.0.7' port='5432' dbname='shop_copy' user='app'",
      '/tmp/x.dump',
    ]);
  });

  it('writes an in-place restore as one transaction of drops and creates, connecting nowhere itself', () => {
    const args = pgRestoreScriptArgs('/dev/fd/3');
    expect(args).toEqual(expect.arrayContaining(['--clean', '--if-exists', '--single-transaction', '--file=-']));
    expect(args.at(-1)).toBe('/dev/fd/3');
    expect(args.some((arg) => arg.startsWith('--dbname') || arg.startsWith('--jobs'))).toBe(false);
  });

  it('runs the script with psql: stop at the first error, no psqlrc, the quoted connection string', () => {
    expect(psqlArgs(target)).toEqual(['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', connection, '--file=-']);
    const hostile = psqlArgs({ ...target, database: "x' host=evil" });
    expect(hostile).toContain("--dbname=host='db' hostaddr='10.0.0.7' port='5432' dbname='x\\' host=evil' user='app'");
  });
});
