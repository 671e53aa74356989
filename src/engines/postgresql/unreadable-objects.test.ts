import { describe, expect, it } from 'vitest';
import { unreadableFailure } from './unreadable-objects.js';

const who = { user: 'app', database: 'shop' };

describe('what the service user cannot read', () => {
  it('is no failure when everything is readable', () => {
    expect(unreadableFailure([], who)).toBeNull();
  });

  it('names every object with the privilege missing, its owner, and the grant that mends it', () => {
    const failure = unreadableFailure(
      [
        { kind: 'sequence', schema: 'billing', name: 'invoice_no', owner: 'billing', privilege: 'SELECT' },
        { kind: 'table', schema: 'public', name: 'Audit Log', owner: 'admin', privilege: 'SELECT' },
      ],
      who,
    );
    expect(failure?.code).toBe('permission_denied');
    expect(failure?.message).toBe(
      'user "app" cannot read 2 objects of "shop" that the backup must read: table public.Audit Log (SELECT, owned by admin), sequence billing.invoice_no (SELECT, owned by billing); grant the privilege (e.g. GRANT SELECT ON public."Audit Log" TO app) or back up as a user that has it. Nothing was dumped',
    );
  });

  it('suggests USAGE for a schema and shortens a long list', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ kind: 'table' as const, schema: 's', name: `t${i}`, owner: 'o', privilege: 'SELECT' as const }));
    const failure = unreadableFailure([{ kind: 'schema', schema: 'hidden', name: 'hidden', owner: 'o', privilege: 'USAGE' }, ...many], who);
    expect(failure?.message).toContain('GRANT USAGE ON SCHEMA hidden TO app');
    expect(failure?.message).toContain('and 3 more');
  });
});
