import { describe, expect, it } from 'vitest';
import { planChaos } from './workload.js';

const shape = { seconds: 120, services: 6, apis: 2, processes: 4 };

describe('a chaos plan', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(planChaos(7, shape)).toEqual(planChaos(7, shape));
    expect(planChaos(8, shape)).not.toEqual(planChaos(7, shape));
  });

  it('is in time order, a step every 250 ms and a fault every 4 to 8 s after the first few seconds', () => {
    const plan = planChaos(20261124, shape);
    expect(plan.map((item) => item.atMs)).toEqual([...plan.map((item) => item.atMs)].sort((a, b) => a - b));
    const steps = plan.filter((item) => item.type === 'step');
    expect(steps).toHaveLength(480);
    const faults = plan.filter((item) => item.type === 'fault');
    expect(faults[0]!.atMs).toBeGreaterThanOrEqual(3000);
    expect(faults[0]!.atMs).toBeLessThanOrEqual(6000);
    for (let i = 1; i < faults.length; i++) expect(faults[i]!.atMs - faults[i - 1]!.atMs).toBeGreaterThanOrEqual(3999);
    expect(faults.length).toBeGreaterThanOrEqual(14);
  });

  it('stays within the topology it was planned for and draws every kind over a long run', () => {
    const plan = planChaos(1, { ...shape, seconds: 1800 });
    for (const item of plan) {
      if (item.type === 'step') {
        expect(item.service).toBeLessThan(shape.services);
        expect(item.api).toBeLessThan(shape.apis);
      } else expect(item.process).toBeLessThan(shape.processes);
    }
    expect(new Set(plan.filter((item) => item.type === 'fault').map((item) => item.kind))).toEqual(
      new Set(['killProcess', 'natsRestart', 'postgresRestart', 'storageRefuse', 'storageStall', 'dumpHang', 'dumpDie']),
    );
    expect(new Set(plan.filter((item) => item.type === 'step').map((item) => item.action))).toEqual(new Set(['backup', 'cancel', 'delete', 'restore', 'schedule', 'killSwitch']));
  });
});
