import { describe, expect, it } from 'vitest';
import { describeLockWait, lockModeName, sameLockWait } from './lock-waits.js';

const since = new Date('2026-12-07T15:40:01.000Z');

describe('lock waits as the backup shows them', () => {
  it('names lock modes as LOCK TABLE spells them', () => {
    expect(lockModeName('AccessShareLock')).toBe('ACCESS SHARE');
    expect(lockModeName('ShareRowExclusiveLock')).toBe('SHARE ROW EXCLUSIVE');
    expect(lockModeName('ExclusiveLock')).toBe('EXCLUSIVE');
  });

  it('says which table, for which mode, held by which pid, since when', () => {
    expect(describeLockWait({ schema: 'public', relation: 'orders', locktype: 'relation', mode: 'AccessShareLock', blockers: [4242], since })).toEqual({
      relation: 'orders',
      mode: 'ACCESS SHARE',
      heldBy: 4242,
      since: '2026-12-07T15:40:01.000Z',
      message: 'waiting for a lock on "orders" held by pid 4242 since 2026-12-07T15:40:01.000Z (ACCESS SHARE wanted)',
    });
  });

  it('qualifies a table outside public, counts further holders, and copes with none', () => {
    const wait = describeLockWait({ schema: 'sales', relation: 'orders', locktype: 'relation', mode: 'AccessShareLock', blockers: [1, 2, 3], since });
    expect(wait?.relation).toBe('sales.orders');
    expect(wait?.message).toContain('on "sales.orders" held by pid 1 (and 2 more) since');
    const other = describeLockWait({ schema: null, relation: null, locktype: 'transactionid', mode: 'ShareLock', blockers: [], since });
    expect(other).toMatchObject({ relation: null, heldBy: null });
    expect(other?.message).toBe('waiting for a transactionid lock since 2026-12-07T15:40:01.000Z (SHARE wanted)');
    expect(describeLockWait(undefined)).toBeNull();
  });

  it('treats a wait as new only when what it waits on or for whom changed', () => {
    const a = describeLockWait({ schema: 'public', relation: 'orders', locktype: 'relation', mode: 'AccessShareLock', blockers: [7], since });
    const b = describeLockWait({ schema: 'public', relation: 'orders', locktype: 'relation', mode: 'AccessShareLock', blockers: [8], since });
    expect(sameLockWait(a, { ...a! })).toBe(true);
    expect(sameLockWait(a, b)).toBe(false);
    expect(sameLockWait(a, null)).toBe(false);
    expect(sameLockWait(null, null)).toBe(true);
  });
});
