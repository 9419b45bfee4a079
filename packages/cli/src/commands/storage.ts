// `nimbus storage [--json]`: what uses the account's storage (the fix a "storage full" banner points to), backups included.
import { LocalStore, formatBytes, stateFilePath } from '@nimbus/client';
import { isZone, type StorageResponse } from '@nimbus/protocol';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { prunedLine, snapshotLine } from '../backup-text.js';
import { out } from '../output.js';
import { api, signedIn } from '../session.js';

export function registerStorage(program: Command): void {
  program
    .command('storage')
    .description("what uses your account's storage: the total, each service, the largest items")
    .option('--json', 'the storage report as JSON')
    .action(async (flags: { json?: boolean }) => {
      const { home, session, client } = await signedIn();
      const report = await api(() => client.storage(), session);
      if (flags.json) return out.json(report);
      for (const line of storageLines(report, pathsOf(home, report))) out.line(line);
    });
}

export function storageLines(report: StorageResponse, paths: ReadonlyMap<string, string>): string[] {
  const percent = report.quotaBytes > 0 ? Math.round((report.usedBytes / report.quotaBytes) * 100) : 100;
  const lines = [`Storage: ${formatBytes(report.usedBytes)} of ${formatBytes(report.quotaBytes)} used (${percent} %)${report.warning ? ' — nearly full' : ''}`];
  if (report.reservedBytes > 0) lines.push(`  ${formatBytes(report.reservedBytes)} more held for uploads in progress`);
  const services = Object.entries(report.byService)
    .filter(([, bytes]) => bytes > 0)
    .sort(([, a], [, b]) => b - a);
  if (services.length > 0) lines.push(`By service: ${services.map(([zone, bytes]) => `${zone} ${formatBytes(bytes)}`).join(' · ')}`);
  if (report.largest.length > 0) {
    lines.push('Largest items (deleting one frees at most this much):');
    for (const item of report.largest.slice(0, 10)) {
      const name = paths.get(`${item.zone}/${item.id}`) ?? `${item.zone} item ${item.id}`;
      lines.push(`  ${formatBytes(item.bytes).padStart(10)}  ${name}`);
    }
  }
  if (report.backups.length > 0) {
    lines.push('Backups (deleting one frees what no other backup or file shares):');
    for (const backup of report.backups.slice(0, 10)) lines.push(`  ${snapshotLine(backup)}`);
    lines.push('  delete one: nimbus backup delete ID · keep fewer: nimbus backup policy --keep-last 3 --keep-daily 7');
  }
  for (const pruned of report.prunedBackups.slice(0, 5)) lines.push(prunedLine(pruned));
  lines.push('To free space: delete files from the library and sync (nimbus sync), or stop syncing heavy services: nimbus services disable photos drive');
  return lines;
}

/** Library paths of the largest items, from this device's mirror (ids mean nothing to a person). */
function pathsOf(home: string, report: StorageResponse): Map<string, string> {
  const found = new Map<string, string>();
  if (!existsSync(stateFilePath(home))) return found;
  let store: LocalStore | undefined;
  try {
    store = new LocalStore(stateFilePath(home), { readonly: true });
    for (const item of report.largest) {
      if (!isZone(item.zone)) continue;
      const path = store.getMirror(item.zone, item.id)?.path;
      if (path) found.set(`${item.zone}/${item.id}`, path);
    }
  } catch {
    // no mirror to read: ids it is
  } finally {
    store?.close();
  }
  return found;
}
