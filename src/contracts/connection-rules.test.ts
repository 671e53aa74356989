import { describe, expect, it } from 'vitest';
import { connectionProblems, hostProblem, nameProblem } from './connection-rules.js';

const plain = { host: 'db.internal', port: 5432, database: 'shop', user: 'app' };

describe('what a connection may hold', () => {
  it('accepts plain names, hosts and addresses', () => {
    expect(connectionProblems(plain)).toEqual([]);
    for (const host of ['127.0.0.1', '::1', '[::1]', 'db-1.eu.example.com', 'localhost', 'fd00::5']) expect(hostProblem(host), host).toBeNull();
    for (const name of ['shop', 'Shop Prod', 'ünïcødé', 'app.user@corp', 'a;b', "o'brien", 'x'.repeat(63)]) expect(nameProblem(name), name).toBeNull();
  });

  it('refuses every form of a connection string hidden in a name', () => {
    const hostile = [
      'dbname=victim host=127.0.0.1,127.0.0.1 port=6543,5432',
      'victim host=10.0.0.1',
      "x' host='evil",
      'postgres://evil/victim',
      'postgresql://u@evil:5432/victim?sslmode=disable',
      'POSTGRESQL://evil/victim',
      'service=platform',
      'passfile=/root/.pgpass',
    ];
    for (const database of hostile) {
      const problems = connectionProblems({ ...plain, database });
      expect(problems.length, database).toBeGreaterThan(0);
      expect(problems[0]).toMatch(/^connection\.database /);
      expect(connectionProblems({ ...plain, user: database }).length, database).toBeGreaterThan(0);
    }
  });

  it('refuses control characters, invisible direction marks and leading dashes', () => {
    for (const name of ['a\u0000b', 'a\nb', 'a\tb', 'a\u007fb', 'a\u0085b', 'a\u009bb', 'admin\u202eeludom', 'a\u2066b', 'a\u200fb', '\ufeffshop', 'a\u2028b', '--help', '']) {
      expect(nameProblem(name), JSON.stringify(name)).not.toBeNull();
    }
    expect(nameProblem('x'.repeat(64))).toMatch(/63/);
  });

  it('refuses hosts that are paths, lists, URLs or options', () => {
    for (const host of ['/var/run/postgresql', '@abstract', '127.0.0.1,10.0.0.1', 'h:5432', 'http://h', 'h h', '-h', 'h\n', 'a..b', '']) {
      expect(hostProblem(host), JSON.stringify(host)).not.toBeNull();
    }
    expect(connectionProblems({ ...plain, host: '/tmp' })[0]).toBe('connection.host must be a host name or an IP address, not a path');
    expect(connectionProblems({ ...plain, port: 0 })).toEqual(['connection.port must be a whole number from 1 to 65535']);
  });
});
