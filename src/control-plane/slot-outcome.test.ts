import { describe, expect, it } from 'vitest';
import { type SlotCircumstances, slotSkipReason } from './slot-outcome.js';

const free: SlotCircumstances = { serviceExists: true, availability: { available: true, reason: null }, backupInProgress: undefined, restoreInProgress: undefined };

describe('a due slot', () => {
  it('requests a backup when the service exists, backups are on and nothing is in progress', () => {
    expect(slotSkipReason(free)).toBeUndefined();
  });

  it('is skipped for a removed service before anything else is considered', () => {
    expect(slotSkipReason({ ...free, serviceExists: false, availability: { available: false, reason: 'off' }, backupInProgress: 'bkp_1' })).toBe('the service was removed');
  });

  it('is skipped with the reason backups are unavailable (kill switch, no storage)', () => {
    expect(slotSkipReason({ ...free, availability: { available: false, reason: 'the kill switch is engaged: storage migration' }, backupInProgress: 'bkp_1' })).toBe(
      'the kill switch is engaged: storage migration',
    );
    expect(slotSkipReason({ ...free, availability: { available: false, reason: null } })).toBe('backups are unavailable');
  });

  it('is skipped beside a backup or a restore in progress, naming it', () => {
    expect(slotSkipReason({ ...free, backupInProgress: 'bkp_1', restoreInProgress: 'rst_1' })).toBe('backup bkp_1 was still in progress');
    expect(slotSkipReason({ ...free, restoreInProgress: 'rst_1' })).toBe('restore rst_1 was in progress');
  });
});
