import { describe, expect, it } from 'vitest';
import { pgRestoreArgs } from './pg-restore.js';

const connection = { host: 'db', port: 5432, database: 'shop', user: 'app' };

describe('pg_restore arguments', () => {
  it('restores a new database in parallel', () => {
    expect(pgRestoreArgs(connection, { database: 'shop_copy', file: '/tmp/x.dump', inPlace: false, jobs: 4 })).toEqual([
      '--no-password',
      '--no-owner',
      '--exit-on-error',
      '--jobs=4',
      '--host=db',
      '--port=5432',
      '--username=app',
      '--dbname=shop_copy',
      '/tmp/x.dump',
    ]);
  });

  it('restores in place in one transaction, replacing what exists', () => {
    const args = pgRestoreArgs(connection, { database: 'shop', file: '/tmp/x.dump', inPlace: true, jobs: 4 });
    expect(args).toEqual(expect.arrayContaining(['--clean', '--if-exists', '--single-transaction', '--dbname=shop']));
    expect(args.some((arg) => arg.startsWith('--jobs'))).toBe(false);
  });
});
