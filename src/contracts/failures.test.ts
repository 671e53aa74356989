import { describe, expect, it } from 'vitest';
import { canonicalFailureCode, failureSchema } from './failures.js';

describe('failure codes', () => {
  it('reads the PostgreSQL-named codes stored before engines were a port as their engine-neutral codes', () => {
    expect(failureSchema.parse({ code: 'pg_dump_failed', message: 'x' }).code).toBe('dump_failed');
    expect(failureSchema.parse({ code: 'pg_dump_not_found', message: 'x' }).code).toBe('dump_tool_not_found');
    expect(failureSchema.parse({ code: 'pg_dump_version_mismatch', message: 'x' }).code).toBe('dump_tool_version_mismatch');
    expect(canonicalFailureCode('auth_failed')).toBe('auth_failed');
  });

  it('still refuses a code that is neither a code nor an alias', () => {
    expect(failureSchema.safeParse({ code: 'pg_dump_exploded', message: 'x' }).success).toBe(false);
  });
});
