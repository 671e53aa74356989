import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { DropsAfterBegin } from './in-place-restore.js';

const script = (restrict = '\\restrict abc123\n') =>
  `--\n-- PostgreSQL database dump\n--\n\n${restrict}\nBEGIN;\n\nSET lock_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\nDROP TABLE IF EXISTS public.t;\nCREATE TABLE public.t (id int);\nCOMMIT;\n`;

async function passed(input: string, chunkSize: number): Promise<{ output: string; problem: string | undefined }> {
  const chunks = [];
  for (let at = 0; at < input.length; at += chunkSize) chunks.push(Buffer.from(input.slice(at, at + chunkSize)));
  const transform = new DropsAfterBegin('SET LOCAL lock_timeout = 1000;\nDROP TABLE IF EXISTS "public"."new" CASCADE;\n');
  const output = await text(Readable.from(chunks).pipe(transform));
  return { output, problem: transform.problem };
}

describe("the in-place restore's script", () => {
  it('gets the lock bound and the drops inside its transaction, after its own settings, however it is cut into chunks', async () => {
    for (const size of [1, 7, 64, 100_000]) {
      const { output, problem } = await passed(script(), size);
      expect(problem).toBeUndefined();
      expect(output).toBe(script().replace("false);\n\n", 'false);\n\nSET LOCAL lock_timeout = 1000;\nDROP TABLE IF EXISTS "public"."new" CASCADE;\n'));
    }
  });

  it('is refused without a \\restrict line: psql would run any meta-command a crafted dump carries', async () => {
    const { output, problem } = await passed(script('\\! touch /tmp/pwned\n'), 64);
    expect(problem).toContain('too old to write \\restrict');
    expect(output).not.toContain('BEGIN');
  });

  it('is refused when it ends before its first statement', async () => {
    expect((await passed('--\n\\restrict abc\nBEGIN;\nSET x = 1;\n', 5)).problem).toContain('ended before its first statement');
  });
});
