import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DumpGuard, headVerdict } from './dump-guard.js';

const end = '\n-- Dump completed\n';

/** The guard's output, or its refusal, for a script given in chunks of `size` bytes. */
async function guarded(script: string, size = 7): Promise<{ out?: string; problem?: string }> {
  const bytes = Buffer.from(script);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  const guard = new DumpGuard();
  const collected: Buffer[] = [];
  try {
    await pipeline(Readable.from(chunks), guard, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) collected.push(chunk);
    });
    return { out: Buffer.concat(collected).toString() };
  } catch {
    return { problem: guard.problem, out: Buffer.concat(collected).toString() };
  }
}

describe('headVerdict', () => {
  it('decides only once the words can no longer become a forbidden head', () => {
    expect(headVerdict(['USE'], false)).toBe('forbidden');
    expect(headVerdict(['CREATE'], false)).toBeUndefined();
    expect(headVerdict(['CREATE', 'TABLE'], false)).toBe('allowed');
    expect(headVerdict(['CREATE', 'OR'], true)).toBe('allowed');
    expect(headVerdict(['CREATE', 'OR', 'REPLACE', 'SCHEMA'], false)).toBe('forbidden');
    expect(headVerdict(['DROP', 'DATABASE'], false)).toBe('forbidden');
    expect(headVerdict(['USER'], false)).toBe('allowed');
  });
});

describe('DumpGuard', () => {
  it('passes a whole mariadb-dump script through unchanged, at any chunk size', async () => {
    const script = readFileSync(new URL('./dump-guard.sample.sql', import.meta.url), 'utf8');
    for (const size of [1, 3, 64, 1 << 20]) expect(await guarded(script, size)).toEqual({ out: script });
  });

  it('refuses a script without the trailer (a truncated dump)', async () => {
    const result = await guarded("INSERT INTO `t` VALUES (1,'a');\n");
    expect(result.problem).toMatch(/Dump completed/);
    expect((await guarded("INSERT INTO `t` VALUES (1,'-- Dump completed")).problem).toMatch(/truncated/);
  });

  it.each([
    'USE `other`;',
    'use other;',
    '  /* hi */ USE other;',
    'CREATE DATABASE x;',
    'create schema if not exists x;',
    'CREATE OR REPLACE DATABASE x;',
    'DROP DATABASE `victim`;',
    'DROP /*!99999 x */ DATABASE victim;',
    '/*!40000 DROP DATABASE victim */;',
    '/*M!100100 USE other */;',
    'ALTER DATABASE `other` CHARACTER SET latin1;',
    'DELIMITER ;;\nSELECT 1; USE other;;\nDELIMITER ;\n',
    'SELECT 1;USE other;',
    '-- comment\nUSE other;',
    '# comment\nUSE\nother;',
  ])('refuses %j and never passes it on', async (statement) => {
    const result = await guarded(`SELECT 'ok';\n${statement}${end}`);
    expect(result.problem).toMatch(/switches or changes a database/);
    expect(result.out ?? '').not.toMatch(/USE|DATABASE|SCHEMA/i);
  });

  it.each([
    "INSERT INTO `t` VALUES ('USE other;'),('; DROP DATABASE x;');",
    'INSERT INTO `t` VALUES ("a\\"; USE x; ");',
    'CREATE TABLE `use` (`database` int);',
    'SELECT `x;USE y`;',
    '/* USE x; */ SELECT 1;',
    '-- USE x;\nSELECT 1;',
    'CREATE USER x;',
    'DROP TABLE IF EXISTS `database`;',
    'DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END;;\nDELIMITER ;\n',
  ])('passes %j', async (statement) => {
    const script = `${statement}${end}`;
    expect(await guarded(script)).toEqual({ out: script });
  });
});
