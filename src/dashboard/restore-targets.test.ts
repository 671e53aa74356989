import { describe, expect, it } from 'vitest';
import { dropsShown, restorePlanPath } from './restore-plan.js';
import { inPlaceRefusal, otherServiceRefusal, otherServiceTargets } from './restore-targets.js';
import type { Service } from './types.js';

const service = (id: string, engine = 'postgresql', archivedAt: string | null = null): Service => ({
  id,
  name: id.replace('svc_', ''),
  engine,
  connection: { host: 'db', port: 5432, database: id, user: 'u' },
  blocked: null,
  duplicateOf: null,
  archivedAt,
});

describe('restore targets', () => {
  it('offers the active services of the same engine other than the backup own', () => {
    const list = [service('svc_own'), service('svc_copy'), service('svc_other', 'mysql'), service('svc_gone', 'postgresql', '2026-01-01T00:00:00Z')];
    expect(otherServiceTargets(list, { serviceId: 'svc_own' }, 'postgresql').map((s) => s.id)).toEqual(['svc_copy']);
  });

  it('says why another service cannot be chosen', () => {
    expect(otherServiceRefusal([], null)).toBe('no other service of this engine');
    expect(otherServiceRefusal(undefined, null)).toBe('listing the services…');
    expect(otherServiceRefusal(undefined, 'the API answered 500')).toBe("could not list the project's services: the API answered 500");
    expect(otherServiceRefusal([service('svc_copy')], null)).toBeNull();
  });

  it('refuses in place only for an archived service', () => {
    expect(inPlaceRefusal({ name: 'shop', archivedAt: null })).toBeNull();
    expect(inPlaceRefusal({ name: 'shop', archivedAt: '2026-01-01T00:00:00Z' })).toMatch(/^shop is archived: .*never over itself$/);
  });
});

describe('restore plan', () => {
  it('asks for the chosen target, the service id encoded', () => {
    expect(restorePlanPath('bkp_1', { kind: 'in_place' })).toBe('/v1/backups/bkp_1/restore-plan?target=in_place');
    expect(restorePlanPath('bkp_1', { kind: 'service', serviceId: 'svc_a&target=in_place' })).toBe('/v1/backups/bkp_1/restore-plan?target=service&serviceId=svc_a%26target%3Din_place');
  });

  it('names the first ten objects and counts the rest', () => {
    const drops = Array.from({ length: 13 }, (_, i) => ({ kind: 'table', schema: 'public', name: `t${i}` }));
    const shown = dropsShown(drops);
    expect(shown.names).toHaveLength(10);
    expect(shown.names[0]).toBe('table public.t0');
    expect(shown.more).toBe(3);
    expect(dropsShown([{ kind: 'schema', schema: null, name: 'audit' }])).toEqual({ names: ['schema audit'], more: 0 });
    expect(dropsShown([])).toEqual({ names: [], more: 0 });
  });
});
