// Which snapshots a retention policy keeps: the rules of `restic forget` (keep-last, -daily, -weekly, -monthly), in UTC.
import type { RetentionPolicy } from '@nimbus/protocol';

export interface Dated {
  id: string;
  createdAt: number;
}

type Bucket = (at: Date) => string;

const day: Bucket = (at) => at.toISOString().slice(0, 10);
const month: Bucket = (at) => at.toISOString().slice(0, 7);
/** ISO 8601 week: Monday first; a week belongs to the year of its Thursday, and week 1 holds the year's first Thursday. */
const week: Bucket = (at) => {
  const thursday = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 3 - ((at.getUTCDay() + 6) % 7)));
  const dayOfYear = (thursday.getTime() - Date.UTC(thursday.getUTCFullYear(), 0, 1)) / 86_400_000;
  return `${thursday.getUTCFullYear()}-W${String(1 + Math.floor(dayOfYear / 7)).padStart(2, '0')}`;
};

/** True when the policy keeps everything (no rule set). */
export function keepsAll(policy: RetentionPolicy): boolean {
  return policy.keepLast === null && policy.keepDaily === null && policy.keepWeekly === null && policy.keepMonthly === null;
}

/**
 * The ids the policy keeps. Going newest to oldest, keep-last keeps the first N; each calendar rule keeps a
 * snapshot when it is the newest of a day (week, month) not seen yet, until N such periods are kept.
 * The newest snapshot is always kept, whatever the policy.
 */
export function snapshotsToKeep(snapshots: readonly Dated[], policy: RetentionPolicy): Set<string> {
  const newestFirst = [...snapshots].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  if (keepsAll(policy)) return new Set(newestFirst.map((s) => s.id));
  const rules: { left: number; bucket: Bucket | undefined; last: string | undefined }[] = [
    { left: policy.keepLast ?? 0, bucket: undefined, last: undefined },
    { left: policy.keepDaily ?? 0, bucket: day, last: undefined },
    { left: policy.keepWeekly ?? 0, bucket: week, last: undefined },
    { left: policy.keepMonthly ?? 0, bucket: month, last: undefined },
  ];
  const kept = new Set<string>();
  for (const [index, snapshot] of newestFirst.entries()) {
    if (index === 0) kept.add(snapshot.id);
    const at = new Date(snapshot.createdAt);
    for (const rule of rules) {
      if (rule.left <= 0) continue;
      const key = rule.bucket ? rule.bucket(at) : snapshot.id;
      if (key === rule.last) continue;
      rule.last = key;
      rule.left--;
      kept.add(snapshot.id);
    }
  }
  return kept;
}
