import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RowCounter } from './row-counter.js';

/** Counts a dump given as text, cut into chunks at the given byte offsets. */
function count(dump: string | Buffer, cuts: number[] = []): Record<string, number> {
  const bytes = typeof dump === 'string' ? Buffer.from(dump) : dump;
  const counter = new RowCounter();
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    counter.write(bytes.subarray(from, cut));
    from = cut;
  }
  counter.write(bytes.subarray(from));
  return Object.assign(Object.create(null) as Record<string, number>, Object.fromEntries(counter.counts()));
}

/** As mariadb-dump escapes a string (mysql_real_escape_string). */
function dumpEscaped(value: string): string {
  // eslint-disable-next-line no-control-regex -- the escapes mariadb-dump writes include NUL and Ctrl-Z
  return value.replace(/[\0\n\r\\'"\x1a]/g, (c) => ({ '\0': '\\0', '\n': '\\n', '\r': '\\r', '\\': '\\\\', "'": "\\'", '"': '\\"', '\x1a': '\\Z' })[c]!);
}

const quoteName = (name: string) => `\`${name.replaceAll('`', '``')}\``;

const header = `/*M!999999\\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: 127.0.0.1    Database: shop
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
`;

describe('counting rows in a mariadb-dump stream', () => {
  it('counts extended inserts per table, summed over statements', () => {
    const dump = `${header}
DROP TABLE IF EXISTS \`a\`;
CREATE TABLE \`a\` (\`id\` int NOT NULL COMMENT 'INSERT INTO \`a\` VALUES (9);', PRIMARY KEY (\`id\`)) ENGINE=InnoDB;
LOCK TABLES \`a\` WRITE;
/*!40000 ALTER TABLE \`a\` DISABLE KEYS */;
INSERT INTO \`a\` VALUES (1,'x'),(2,'it\\'s (a), test; \\\\'),(3,NULL);
INSERT INTO \`a\` VALUES (4,0xDEADBEEF),(-5,1.5e3);
/*!40000 ALTER TABLE \`a\` ENABLE KEYS */;
UNLOCK TABLES;
INSERT INTO \`b\` VALUES ();
`;
    expect(count(dump)).toEqual({ a: 5, b: 1 });
  });

  it('takes names with backticks, quotes and non-Latin letters literally', () => {
    expect(count("INSERT INTO `odd ``name`` (x)` VALUES (1,'a'),(2,'b),(c');\nINSERT INTO `日本 😀` VALUES (1);\n")).toEqual({ 'odd `name` (x)': 2, '日本 😀': 1 });
  });

  it('handles raw newlines, doubled quotes, double quotes and comment-like text inside strings', () => {
    const dump = "INSERT INTO `t` VALUES (1,'line\n),(INSERT INTO `t` VALUES (7);\n-- not a comment'),(2,'it''s'),(3,\"dq \\\" ),( \"),(4,'/* x */ # y -- z');\n";
    expect(count(dump)).toEqual({ t: 4 });
  });

  it('counts nothing inside routines and triggers, whose bodies are their own text', () => {
    const dump = `INSERT INTO \`t\` VALUES (1);
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=\`root\`@\`%\`*/ /*!50003 TRIGGER x AFTER INSERT ON t FOR EACH ROW INSERT INTO audit VALUES (NEW.id, '*/ ;; ') */;;
CREATE PROCEDURE p() BEGIN
INSERT INTO \`t\` VALUES (1),(2);
-- it's a comment with a quote
END ;;
DELIMITER ;
delimiter $$
INSERT INTO \`t\` VALUES (5) $$
DELIMITER ;
INSERT INTO \`t\` VALUES (2),(3);
`;
    expect(count(dump)).toEqual({ t: 3 });
  });

  it('counts a column-listed insert after VALUES only', () => {
    expect(count('INSERT INTO `t` (`a`,`b (c)`) VALUES (1,2),(3,4);\n')).toEqual({ t: 2 });
  });

  it('does not count a statement cut off before its end', () => {
    expect(count("INSERT INTO `t` VALUES (1),(2);\nINSERT INTO `t` VALUES (3),('unfinished")).toEqual({ t: 2 });
  });

  const value = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.constant('NULL'),
    fc.uint8Array({ maxLength: 20 }).map((bytes) => (bytes.length ? `0x${Buffer.from(bytes).toString('hex').toUpperCase()}` : "''")),
    fc.string({ unit: 'binary', maxLength: 30 }).map((text) => `'${dumpEscaped(text)}'`),
    // What the dump never writes but valid SQL allows: raw newlines, doubled quotes, double-quoted strings.
    fc.string({ unit: fc.constantFrom('a', "'", '\n', '(', ')', ',', ';', '`', '-', '#', '/', '*', '"', '\\'), maxLength: 20 }).map((text) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`),
    fc.string({ unit: fc.constantFrom('a', "'", '\n', '(', ')', ';', '"', '\\'), maxLength: 20 }).map((text) => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`),
  );
  const statement = fc.record({
    table: fc.oneof(fc.constantFrom('t', 'orders', 'odd`name', 'a b'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 })),
    rows: fc.array(fc.array(value, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
  });
  const noise = fc.constantFrom(
    '-- Table structure for table `t`\n',
    '/*!40101 SET character_set_client = utf8mb4 */;\n',
    "CREATE TABLE `x` (`id` int COMMENT 'INSERT INTO `x` VALUES (1);') ENGINE=InnoDB;\n",
    "DELIMITER ;;\nCREATE PROCEDURE p() BEGIN\nINSERT INTO `t` VALUES (1);\nSELECT ';;';\nEND ;;\nDELIMITER ;\n",
    '/* plain comment; INSERT INTO `t` VALUES (1); */\n',
    "# hash comment '\n",
    'LOCK TABLES `t` WRITE;\n',
  );

  it('counts exactly whatever the values and wherever the chunks are cut (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(statement, noise), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (parts, rawCuts) => {
        const expected = Object.create(null) as Record<string, number>;
        let text = header;
        for (const part of parts) {
          if (typeof part === 'string') {
            text += part;
            continue;
          }
          text += `INSERT INTO ${quoteName(part.table)} VALUES ${part.rows.map((row) => `(${row.join(',')})`).join(',')};\n`;
          expected[part.table] = (expected[part.table] ?? 0) + part.rows.length;
        }
        const bytes = Buffer.from(text);
        const cuts = rawCuts.map((cut) => cut % (bytes.length + 1));
        expect(count(bytes, cuts)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('counts hundreds of MB per second', () => {
    const rows = Array.from({ length: 200 }, (_, i) => `(${i},'name ${i} it\\'s',${i}.25,NULL,0x${'AB'.repeat(40)},'{\\"n\\": ${i}}','2026-01-01 00:00:00')`).join(',');
    const line = Buffer.from(`INSERT INTO \`orders\` VALUES ${rows};\n`);
    const chunk = Buffer.concat(Array.from({ length: Math.ceil((1 << 20) / line.length) }, () => line));
    const counter = new RowCounter();
    const started = performance.now();
    const megabytes = 200;
    for (let i = 0; i < megabytes; i++) counter.write(chunk);
    const seconds = (performance.now() - started) / 1000;
    const perStatement = Math.ceil((1 << 20) / line.length);
    expect(counter.counts().get('orders')).toBe(200 * perStatement * megabytes);
    console.log(`row counter: ${(megabytes / seconds).toFixed(0)} MB/s`);
    // A floor for a shared CI machine; the figure itself is printed.
    expect(megabytes / seconds).toBeGreaterThan(50);
  });
});
