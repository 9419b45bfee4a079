import type { RetentionPolicy } from '@nimbus/protocol';
import { describe, expect, it } from 'vitest';
import { snapshotsToKeep } from './retention.js';

const none: RetentionPolicy = { keepLast: null, keepDaily: null, keepWeekly: null, keepMonthly: null, pruneWhenFull: true };
const at = (iso: string, id = iso): { id: string; createdAt: number } => ({ id, createdAt: Date.parse(iso) });
const kept = (snaps: { id: string; createdAt: number }[], policy: Partial<RetentionPolicy>): string[] =>
  [...snapshotsToKeep(snaps, { ...none, ...policy })].sort();

describe('snapshotsToKeep (restic forget rules)', () => {
  const hourly = Array.from({ length: 24 * 40 }, (_, i) => at(new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString()));

  it('keeps everything when no rule is set', () => {
    expect(kept(hourly, {})).toHaveLength(hourly.length);
  });

  it('keep-last keeps the N newest', () => {
    expect(kept(hourly, { keepLast: 3 })).toEqual(['2026-02-09T21:00:00.000Z', '2026-02-09T22:00:00.000Z', '2026-02-09T23:00:00.000Z']);
  });

  it('keep-daily keeps the newest of each of the last N days that have one', () => {
    const snaps = [at('2026-03-01T08:00:00Z'), at('2026-03-01T20:00:00Z'), at('2026-03-02T09:00:00Z'), at('2026-03-05T10:00:00Z'), at('2026-03-05T11:00:00Z')];
    expect(kept(snaps, { keepDaily: 2 })).toEqual(['2026-03-02T09:00:00Z', '2026-03-05T11:00:00Z']);
    expect(kept(snaps, { keepDaily: 10 })).toEqual(['2026-03-01T20:00:00Z', '2026-03-02T09:00:00Z', '2026-03-05T11:00:00Z']);
  });

  it('keep-weekly uses ISO weeks (Monday first, the year of the Thursday)', () => {
    // 2026-01-04 is a Sunday (ISO week 2026-W01), 2026-01-05 a Monday (W02); 2025-12-29 is Monday of 2026-W01.
    const snaps = [at('2025-12-29T12:00:00Z'), at('2026-01-04T12:00:00Z'), at('2026-01-05T12:00:00Z')];
    expect(kept(snaps, { keepWeekly: 5 })).toEqual(['2026-01-04T12:00:00Z', '2026-01-05T12:00:00Z']);
  });

  it('keep-monthly keeps the newest of each month', () => {
    expect(kept(hourly, { keepMonthly: 12 })).toEqual(['2026-01-31T23:00:00.000Z', '2026-02-09T23:00:00.000Z']);
  });

  it('rules add up: a snapshot is kept when any rule keeps it', () => {
    const result = kept(hourly, { keepLast: 2, keepDaily: 3, keepMonthly: 2 });
    expect(result).toEqual([
      '2026-01-31T23:00:00.000Z',
      '2026-02-07T23:00:00.000Z',
      '2026-02-08T23:00:00.000Z',
      '2026-02-09T22:00:00.000Z',
      '2026-02-09T23:00:00.000Z',
    ]);
  });

  it('never drops the newest, even when every rule is 0', () => {
    expect(kept(hourly, { keepLast: 0, keepDaily: 0 })).toEqual(['2026-02-09T23:00:00.000Z']);
  });
});
