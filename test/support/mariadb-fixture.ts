import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

/** The machine's MariaDB (root, empty password). */
export const mariadbHost = process.env.LIFEBOAT_TEST_MYHOST ?? '127.0.0.1';
export const mariadbPort = Number(process.env.LIFEBOAT_TEST_MYPORT ?? 3306);
export const mariadbRootUser = process.env.LIFEBOAT_TEST_MYUSER ?? 'root';

/** A root connection, to `database` if given; the caller ends it. */
export function rootConnection(database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({ host: mariadbHost, port: mariadbPort, user: mariadbRootUser, password: '', ...(database ? { database } : {}), charset: 'utf8mb4' });
}

export function quoteName(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Runs statements as root, one by one. */
export async function asRoot(statements: readonly string[], database?: string): Promise<void> {
  const connection = await rootConnection(database);
  try {
    for (const statement of statements) await connection.query(statement);
  } finally {
    await connection.end();
  }
}

export interface MariadbFixture {
  /** The database's name (random suffix). */
  name: string;
  /** The exact rows of each base table, as built. */
  rows: Record<string, number>;
  drop(): Promise<void>;
}

export interface FixtureOptions {
  /** Goes into the database's name. */
  label?: string;
  /** Rows of the big table (`orders`); default 20000. */
  rows?: number;
  /** An exact database name (e.g. one with backticks or quotes); default: `lifeboat_test_<label>_<hex>`. */
  name?: string;
}

/**
 * A database with what a faithful MariaDB backup must carry: utf8mb4 text (emoji, non-Latin),
 * BLOB/binary, DECIMAL, JSON, a generated column, a view, a trigger, a procedure, a function,
 * an event, a foreign key, values that look like SQL (quotes, backslashes, `),(`, `;`, newlines),
 * NULLs, and tens of thousands of rows. API kept stable: the restore tests use it too.
 */
export async function createMariadbFixture(options: FixtureOptions = {}): Promise<MariadbFixture> {
  const label = (options.label ?? 'fixture').replace(/[^a-z0-9_]/g, '_');
  const name = options.name ?? `lifeboat_test_${label}_${randomBytes(4).toString('hex')}`;
  const rows = options.rows ?? 20_000;
  await asRoot([`CREATE DATABASE ${quoteName(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`]);
  await asRoot(
    [
      `CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(200) NOT NULL, email VARCHAR(200) UNIQUE, note TEXT NULL,
         full_label VARCHAR(420) AS (CONCAT(name, ' <', IFNULL(email, ''), '>')) VIRTUAL) ENGINE=InnoDB`,
      `CREATE TABLE orders (id BIGINT PRIMARY KEY AUTO_INCREMENT, customer_id INT NOT NULL, total DECIMAL(14,4) NOT NULL, attrs JSON NULL,
         payload BLOB NULL, digest BINARY(16) NULL, placed_at DATETIME(6) NOT NULL, FOREIGN KEY (customer_id) REFERENCES customers(id)) ENGINE=InnoDB`,
      'CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, order_id BIGINT NOT NULL, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB',
      'CREATE TABLE `odd ``name`` (x)` (`col,1` INT PRIMARY KEY, `v` VARCHAR(100)) ENGINE=InnoDB',
      'CREATE TABLE empty_table (id INT PRIMARY KEY) ENGINE=InnoDB',
      `INSERT INTO customers (name, email, note) VALUES
         ('Zoë 😀 Ünïcødé', 'zoe@example.com', 'first line\nsecond line'),
         ('O''Brien', 'ob@example.com', 'quote '' and backslash \\\\ and ),( and ; and \\"'),
         ('日本語の名前', NULL, NULL),
         ('Ελληνικά', 'el@example.com', 'tab\there, cr\rthere, NUL \\0 there'),
         ('x', 'x@example.com', '0x41 is not hex, (1,2) is not a row')`,
      `INSERT INTO customers (name, email) SELECT CONCAT('Kunde ', seq, ' ünï'), CONCAT('c', seq, '@example.com') FROM seq_6_to_${Math.max(6, Math.floor(rows / 10))}`,
      `INSERT INTO orders (customer_id, total, attrs, payload, digest, placed_at)
         SELECT 1 + (seq % 5), (seq * 7 % 100000) / 100.0,
           IF(seq % 3 = 0, NULL, JSON_OBJECT('n', seq, 's', CONCAT('a''b),(', seq), 'emoji', '🚀')),
           IF(seq % 4 = 0, NULL, UNHEX(REPEAT(LPAD(HEX(seq % 256), 2, '0'), 1 + seq % 40))),
           UNHEX(MD5(seq)), '2026-01-01 00:00:00' + INTERVAL seq SECOND
         FROM seq_1_to_${rows}`,
      "INSERT INTO `odd ``name`` (x)` VALUES (1, 'a'), (2, 'b),(c'), (3, NULL)",
      'CREATE VIEW big_orders AS SELECT id, customer_id, total FROM orders WHERE total > 500',
      'CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit (order_id) VALUES (NEW.id)',
      'CREATE PROCEDURE add_order(IN customer INT, IN amount DECIMAL(14,4)) BEGIN INSERT INTO orders (customer_id, total, placed_at) VALUES (customer, amount, NOW(6)); END',
      'CREATE FUNCTION order_total(order_id BIGINT) RETURNS DECIMAL(14,4) READS SQL DATA RETURN (SELECT total FROM orders WHERE id = order_id)',
      'CREATE EVENT nightly_cleanup ON SCHEDULE EVERY 1 DAY STARTS \'2030-01-01 00:00:00\' DISABLE DO DELETE FROM audit WHERE at < NOW() - INTERVAL 30 DAY',
      'INSERT INTO audit (order_id) SELECT seq FROM seq_1_to_7',
    ],
    name,
  );
  return {
    name,
    rows: await exactRowCounts(name),
    async drop() {
      await asRoot([`DROP DATABASE IF EXISTS ${quoteName(name)}`]);
    },
  };
}

/** `SELECT COUNT(*)` of every base table of the database, by table name. */
export async function exactRowCounts(database: string): Promise<Record<string, number>> {
  const connection = await rootConnection(database);
  try {
    const [tables] = await connection.query<mysql.RowDataPacket[]>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name", [database]);
    const counts: Record<string, number> = {};
    for (const { name } of tables as { name: string }[]) {
      const [[row]] = (await connection.query(`SELECT COUNT(*) AS n FROM ${quoteName(name)}`)) as unknown as [[{ n: number }]];
      counts[name] = Number(row.n);
    }
    return counts;
  } finally {
    await connection.end();
  }
}

/**
 * `CHECKSUM TABLE` of every base table, by table name: equal on the same server when the rows
 * are equal (a restore check). `connection` may be any connection that can read the database.
 */
export async function tableChecksums(connection: mysql.Connection, database: string): Promise<Record<string, string>> {
  const [tables] = await connection.query<mysql.RowDataPacket[]>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name", [database]);
  const sums: Record<string, string> = {};
  for (const { name } of tables as { name: string }[]) {
    const [result] = (await connection.query(`CHECKSUM TABLE ${quoteName(database)}.${quoteName(name)} EXTENDED`)) as unknown as [{ Checksum: unknown }[]];
    sums[name] = String(result[0]?.Checksum);
  }
  return sums;
}

/** A user with a random name and password, granted `grants` (e.g. `SELECT, SHOW VIEW`) on the database; `drop()` removes it. */
export async function createMariadbUser(database: string, grants: string, options: { host?: string } = {}): Promise<{ user: string; password: string; drop(): Promise<void> }> {
  const user = `lb_${randomBytes(5).toString('hex')}`;
  const password = `pw'"\\#= ${randomBytes(6).toString('hex')}`;
  const host = options.host ?? '%';
  const account = `'${user}'@'${host}'`;
  await asRoot([`CREATE USER ${account} IDENTIFIED BY ${mysql.escape(password)}`, ...(grants ? [`GRANT ${grants} ON ${quoteName(database)}.* TO ${account}`] : [])]);
  return {
    user,
    password,
    async drop() {
      await asRoot([`DROP USER IF EXISTS ${account}`]);
    },
  };
}
