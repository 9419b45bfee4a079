import { DEFAULT_RETENTION } from '@nimbus/protocol';
import { describe, expect, it } from 'vitest';
import { policyFrom } from './backup.js';

describe('nimbus backup policy flags', () => {
  const current = { ...DEFAULT_RETENTION, keepDaily: 7 };

  it('changes only the rules given, and nothing without flags', () => {
    expect(policyFrom(current, {})).toBeUndefined();
    expect(policyFrom(current, { keepLast: '3' })).toEqual({ ...current, keepLast: 3 });
    expect(policyFrom(current, { pruneWhenFull: 'off' })).toEqual({ ...current, pruneWhenFull: false });
  });

  it('--keep-all clears the keep rules (the flags given with it still count)', () => {
    expect(policyFrom(current, { keepAll: true })).toEqual({ ...DEFAULT_RETENTION });
    expect(policyFrom(current, { keepAll: true, keepWeekly: '4' })).toEqual({ ...DEFAULT_RETENTION, keepWeekly: 4 });
  });

  it('refuses what is not a count or on/off', () => {
    expect(() => policyFrom(current, { keepLast: 'three' })).toThrow(/--keep-last takes a whole number/);
    expect(() => policyFrom(current, { keepDaily: '-1' })).toThrow(/whole number/);
    expect(() => policyFrom(current, { pruneWhenFull: 'maybe' })).toThrow(/on or off/);
  });
});
