// How backups read on the terminal: the result of a run, the list, the policy, what was pruned.
import { formatBytes, type BackupResult } from '@nimbus/client';
import type { PrunedSnapshot, RetentionPolicy, SnapshotListResponse, SnapshotView } from '@nimbus/protocol';

/** "2026-11-24 02:15" in the device's time zone: a person reads dates, not ids. */
export function formatWhen(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function backupLines(result: BackupResult): string[] {
  const { snapshot, upload } = result;
  const lines = [
    `Backup ${snapshot.id} saved: ${result.files} file${result.files === 1 ? '' : 's'}, ${formatBytes(snapshot.totalBytes)}`,
    `  read ${formatBytes(result.bytesRead)} (${result.filesUnchanged} unchanged file${result.filesUnchanged === 1 ? '' : 's'} not read), sent ${formatBytes(upload.sentBytes)} of new chunks (${upload.sentChunks}), ${upload.presentChunks} chunks already stored`,
  ];
  for (const pruned of result.pruned) lines.push(prunedLine(pruned));
  if (result.skipped.length > 0) lines.push(`${result.skipped.length} item${result.skipped.length === 1 ? ' was' : 's were'} skipped (listed below)`);
  return lines;
}

export function snapshotLine(s: Omit<SnapshotView, 'manifest'>): string {
  return `${s.id}  ${formatWhen(s.createdAt)}  ${formatBytes(s.totalBytes).padStart(10)}  frees ${formatBytes(s.freesBytes).padStart(10)}  ${s.host}: ${s.sources.join(', ')}`;
}

export function snapshotLines(list: SnapshotListResponse): string[] {
  if (list.snapshots.length === 0) return ['No backups yet: nimbus backup create [PATH]', policyText(list.policy)];
  return [
    'ID            date              size        deleting it frees   from',
    ...list.snapshots.map(snapshotLine),
    policyText(list.policy),
    ...list.pruned.slice(0, 5).map(prunedLine),
    'Restore: nimbus backup restore ID DEST · delete: nimbus backup delete ID',
  ];
}

export function policyText(policy: RetentionPolicy): string {
  const rules = [
    policy.keepLast !== null ? `the last ${policy.keepLast}` : '',
    policy.keepDaily !== null ? `${policy.keepDaily} daily` : '',
    policy.keepWeekly !== null ? `${policy.keepWeekly} weekly` : '',
    policy.keepMonthly !== null ? `${policy.keepMonthly} monthly` : '',
  ].filter((r) => r !== '');
  const keep = rules.length === 0 ? 'every backup' : `${rules.join(', ')} (and always the newest)`;
  const full = policy.pruneWhenFull ? 'above 90 % of the quota the oldest backups are removed (never the newest)' : 'never removed for space';
  return `Policy: keep ${keep}; ${full}`;
}

export function prunedLine(p: PrunedSnapshot): string {
  const why = p.reason === 'storage_full' ? 'storage was nearly full' : 'the retention policy';
  return `Removed backup ${p.id} of ${formatWhen(p.createdAt)} (${why}, ${formatWhen(p.removedAt)}): ${formatBytes(p.freedBytes)} freed`;
}
