import { describe, expect, it } from 'vitest';
import { backupAvailability, type KillSwitchState } from './availability.js';

const released: KillSwitchState = { engaged: false, reason: null, source: null, changedBy: null, changedAt: null };

describe('backup availability', () => {
  it('is available with storage and the kill switch released', () => {
    expect(backupAvailability({ storageConfigured: true, killSwitch: released })).toEqual({ available: true, reason: null });
  });

  it('fails closed without storage, and says how to fix it', () => {
    const result = backupAvailability({ storageConfigured: false, killSwitch: released });
    expect(result.available).toBe(false);
    expect(result.reason).toContain('LIFEBOAT_STORAGE_URL');
  });

  it('fails closed with the kill switch engaged, giving its reason first', () => {
    const engaged: KillSwitchState = { ...released, engaged: true, reason: 'storage migration', source: 'operator' };
    const result = backupAvailability({ storageConfigured: false, killSwitch: engaged });
    expect(result).toEqual({ available: false, reason: 'the kill switch is engaged: storage migration' });
  });
});
