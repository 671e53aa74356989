import { describe, expect, it } from 'vitest';
import { dumpArgs, parseDumpToolVersion, parseServerVersion, toolFitsServer } from './dump-command.js';

describe('the mariadb-dump command', () => {
  it('reads the options file first and takes the database literally after --', () => {
    const args = dumpArgs('/work/x.cnf', { address: '10.0.0.5', port: 3307, database: '--help `x` \'y\' a=b' });
    expect(args[0]).toBe('--defaults-extra-file=/work/x.cnf');
    expect(args.slice(-2)).toEqual(['--', '--help `x` \'y\' a=b']);
    expect(args).toContain('--host=10.0.0.5');
    expect(args).toContain('--port=3307');
    expect(args).toContain('--protocol=TCP');
    for (const flag of ['--single-transaction', '--quick', '--routines', '--triggers', '--events', '--hex-blob', '--skip-lock-tables', '--no-tablespaces', '--skip-dump-date']) expect(args).toContain(flag);
    expect(args.join(' ')).not.toMatch(/password|(^| )-p/);
  });

  it('parses the forms of the tools’ --version', () => {
    expect(parseDumpToolVersion('mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n', 'mariadb-dump')).toMatchObject({ flavour: 'mariadb', major: 10, minor: 11 });
    expect(parseDumpToolVersion('mariadb-dump from 11.4.2-MariaDB, client 10.19 for Linux (x86_64)', 'mariadb-dump')).toMatchObject({ flavour: 'mariadb', major: 11, minor: 4 });
    expect(parseDumpToolVersion('mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)', 'mysqldump')).toMatchObject({ flavour: 'mysql', major: 8, minor: 0 });
    expect(parseDumpToolVersion('mysqldump  Ver 8.4.0 for Linux on x86_64 (MySQL Community Server - GPL)', 'mysqldump')).toMatchObject({ flavour: 'mysql', major: 8, minor: 4 });
    expect(parseDumpToolVersion('mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)', 'mysqldump')).toMatchObject({ flavour: 'mysql', major: 5, minor: 7 });
    expect(parseDumpToolVersion('mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)', 'mysqldump')).toMatchObject({ name: 'mysqldump', flavour: 'mariadb' });
    expect(parseDumpToolVersion('something else', 'mysqldump')).toBeNull();
  });

  it('parses server versions and flavours', () => {
    expect(parseServerVersion('10.11.19-MariaDB-0+deb12u1')).toEqual({ flavour: 'mariadb', major: 10, minor: 11, text: '10.11.19-MariaDB-0+deb12u1' });
    expect(parseServerVersion('8.0.36')).toMatchObject({ flavour: 'mysql', major: 8, minor: 0 });
    expect(parseServerVersion('11.4.2', 'mariadb.org binary distribution')).toMatchObject({ flavour: 'mariadb' });
    expect(parseServerVersion('weird')).toBeNull();
  });

  it('says which tool fits which server', () => {
    const mariaTool = parseDumpToolVersion('mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)', 'mariadb-dump')!;
    const mysql57 = parseDumpToolVersion('mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)', 'mysqldump')!;
    const mysql8 = parseDumpToolVersion('mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)', 'mysqldump')!;
    expect(toolFitsServer(mariaTool, parseServerVersion('10.11.19-MariaDB')!)).toBeNull();
    expect(toolFitsServer(mariaTool, parseServerVersion('10.6.2-MariaDB')!)).toBeNull();
    expect(toolFitsServer(mariaTool, parseServerVersion('11.4.2-MariaDB')!)).toMatchObject({ code: 'dump_tool_version_mismatch', message: expect.stringMatching(/11\.4/) });
    expect(toolFitsServer(mysql57, parseServerVersion('8.0.36')!)).toMatchObject({ code: 'dump_tool_version_mismatch' });
    expect(toolFitsServer(mysql8, parseServerVersion('8.0.36')!)).toBeNull();
    expect(toolFitsServer(mysql8, parseServerVersion('5.7.44')!)).toBeNull();
    expect(toolFitsServer(mysql8, parseServerVersion('10.11.19-MariaDB')!)).toMatchObject({ code: 'dump_tool_version_mismatch', message: expect.stringMatching(/mariadb-dump/) });
  });
});
