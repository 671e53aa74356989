import type { Failure } from '../../contracts/index.js';

/**
 * The `mariadb-dump` (or `mysqldump`) command of a backup, and whether the installed tool can
 * dump the server: pure, so that every argument a user's value reaches is tested here.
 */

export type Flavour = 'mariadb' | 'mysql';

export interface DumpToolVersion {
  /** `mariadb-dump` or `mysqldump`: the file run. */
  name: DumpToolName;
  /** Whose tool it is: MariaDB's (also under the name mysqldump) or MySQL's. */
  flavour: Flavour;
  major: number;
  minor: number;
  /** Its first line, as printed. */
  text: string;
}

export interface ServerVersion {
  flavour: Flavour;
  major: number;
  minor: number;
  /** `SELECT VERSION()`, e.g. `10.11.19-MariaDB-0+deb12u1` or `8.0.36`. */
  text: string;
}

export const dumpToolNames = ['mariadb-dump', 'mysqldump'] as const;
export type DumpToolName = (typeof dumpToolNames)[number];

export interface DumpTarget {
  /** The pinned address: the tool connects where the pre-flight did, never to a second DNS answer. */
  address: string;
  port: number;
  database: string;
}

/**
 * The arguments, credentials excluded (they are in the options file, which must come first: the
 * tools read `--defaults-extra-file` only as their first argument). `--single-transaction` reads
 * every InnoDB table in one consistent snapshot without locking; `--skip-lock-tables` keeps it
 * from locking the tables anyway; `--no-tablespaces` needs no PROCESS privilege and writes no
 * CREATE TABLESPACE a managed server would refuse; `--hex-blob` keeps binary values as 0x…;
 * `--skip-dump-date` makes two dumps of equal data equal. The database comes after `--`, so a
 * name starting with `-` is a name.
 */
export function dumpArgs(optionsFile: string, target: DumpTarget): string[] {
  return [
    `--defaults-extra-file=${optionsFile}`,
    '--protocol=TCP',
    `--host=${target.address}`,
    `--port=${target.port}`,
    '--single-transaction',
    '--quick',
    '--routines',
    '--triggers',
    '--events',
    '--hex-blob',
    '--default-character-set=utf8mb4',
    '--skip-lock-tables',
    '--no-tablespaces',
    '--max-allowed-packet=1G',
    '--skip-dump-date',
    '--',
    target.database,
  ];
}

/**
 * `mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)`,
 * `mariadb-dump from 11.4.2-MariaDB, client 10.19 for Linux (x86_64)`,
 * `mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)`,
 * `mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)`: the server release the tool belongs to. Pure.
 */
export function parseDumpToolVersion(output: string, name: DumpToolName): DumpToolVersion | null {
  const text = output.trim().split('\n')[0]?.trim() ?? '';
  const distrib = /\bDistrib (\d+)\.(\d+)\.\d+(-MariaDB)?/i.exec(text) ?? /\bfrom (\d+)\.(\d+)\.\d+(-MariaDB)?/i.exec(text);
  if (distrib) return { name, flavour: distrib[3] ? 'mariadb' : 'mysql', major: Number(distrib[1]), minor: Number(distrib[2]), text };
  const mysql8 = /\bVer (\d+)\.(\d+)\.\d+ for /.exec(text);
  if (mysql8) return { name, flavour: /MariaDB/i.test(text) ? 'mariadb' : 'mysql', major: Number(mysql8[1]), minor: Number(mysql8[2]), text };
  return null;
}

/** `VERSION()` (and `@@version_comment`, which says MariaDB on servers that hide it in the version). Pure. */
export function parseServerVersion(version: string, comment = ''): ServerVersion | null {
  const match = /^(\d+)\.(\d+)\.\d+/.exec(version.trim());
  if (!match) return null;
  // MariaDB 10.x servers once reported `5.5.5-10.x.y-MariaDB` over the protocol; VERSION() is the real one.
  const flavour: Flavour = /mariadb/i.test(version) || /mariadb/i.test(comment) ? 'mariadb' : 'mysql';
  return { flavour, major: Number(match[1]), minor: Number(match[2]), text: version.trim() };
}

function atLeast(a: { major: number; minor: number }, b: { major: number; minor: number }): boolean {
  return a.major > b.major || (a.major === b.major && a.minor >= b.minor);
}

/**
 * Whether the tool dumps the server faithfully; a `dump_tool_version_mismatch` failure if not.
 * MariaDB's tool dumps a MariaDB server of its release series or older, and MySQL servers;
 * MySQL's tool dumps MySQL servers of its major version or older (5.7's misses 8's objects), but
 * not MariaDB (it asks for MySQL-only catalog tables). Pure.
 */
export function toolFitsServer(tool: DumpToolVersion, server: ServerVersion): Failure | null {
  const release = (v: { major: number; minor: number }) => `${v.major}.${v.minor}`;
  if (tool.flavour === 'mariadb') {
    if (server.flavour === 'mysql' || atLeast(tool, server)) return null;
    return {
      code: 'dump_tool_version_mismatch',
      message: `${tool.name} ${release(tool)} (MariaDB) is older than the MariaDB ${release(server)} server it would dump (${server.text}); install mariadb-dump ${release(server)} or newer where the backup job runs`,
    };
  }
  if (server.flavour === 'mariadb') {
    return { code: 'dump_tool_version_mismatch', message: `${tool.name} is MySQL's (${tool.text}) and the server is MariaDB ${server.text}; install MariaDB's mariadb-dump where the backup job runs` };
  }
  if (tool.major >= server.major) return null;
  return {
    code: 'dump_tool_version_mismatch',
    message: `${tool.name} ${release(tool)} is older than the MySQL ${release(server)} server it would dump; install mysqldump ${server.major} or newer where the backup job runs`,
  };
}
