import { describe, expect, it } from 'vitest';
import { pgRestoreArgs } from './pg-restore.js';

const target = { host: 'db', address: '10.0.0.7', port: 5432, database: 'shop', user: 'app' };

describe('pg_restore arguments', () => {
  it('restores a new database in parallel, connecting by one quoted connection string', () => {
    expect(pgRestoreArgs(target, { database: 'shop_copy', file: '/tmp/x.dump', inPlace: false, jobs: 4 })).toEqual([
      '--no-password',
      '--no-owner',
      '--exit-on-error',
      '--jobs=4',
      "--dbname=host='db' hostaddr='10.0.0.7' port='5432' dbname='shop_copy' user='app'",
      '/tmp/x.dump',
    ]);
  });

  it('restores in place in one transaction, replacing what exists', () => {
    const args = pgRestoreArgs(target, { database: 'shop', file: '/tmp/x.dump', inPlace: true, jobs: 4 });
    expect(args).toEqual(expect.arrayContaining(['--clean', '--if-exists', '--single-transaction', "--dbname=host='db' hostaddr='10.0.0.7' port='5432' dbname='shop' user='app'"]));
    expect(args.some((arg) => arg.startsWith('--jobs'))).toBe(false);
  });
});
