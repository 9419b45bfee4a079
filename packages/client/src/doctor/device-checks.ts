// The doctor's device checks: what waits to sync per service and what was set aside, and local disk space.
import { SERVICES, type SyncStatusJson } from '@nimbus/protocol';
import { statfs } from 'node:fs/promises';
import { formatBytes, remediesFor } from '../engine/remedies.js';
import { failed, passed, warned, type DoctorCheck } from './doctor-check.js';

/** Below this much free space a disk counts as full (downloads would fail half-way). */
export const DISK_FULL_BYTES = 64 * 1024 * 1024;
/** Below this share free (and under 2 GB), the disk warns. */
const DISK_WARN_SHARE = 0.05;

export function pendingCheck(status: SyncStatusJson | undefined): DoctorCheck {
  const title = 'Pending changes';
  if (!status) return passed('pending', title, 'Nothing synced on this device yet.');
  const waiting = SERVICES.filter((s) => status.pending[s] > 0).map((s) => `${s} ${status.pending[s]}`);
  const aside = SERVICES.flatMap((s) => status.services[s].setAside.map((item) => ({ service: s, ...item })));
  const pending = waiting.length === 0 ? 'Nothing waits to be sent' : `Waiting to be sent: ${waiting.join(', ')}`;
  if (aside.length === 0) return passed('pending', title, `${pending}; nothing set aside.`);
  const first = aside[0];
  const named = first ? ` (${first.service} ${first.id}: ${first.reason}${aside.length > 1 ? `; and ${aside.length - 1} more` : ''})` : '';
  return warned(
    'pending',
    title,
    `${pending}; ${aside.length} item${aside.length === 1 ? '' : 's'} set aside after failing again and again${named}.`,
    'See each item and its reason: nimbus status --json (services.*.setAside); fix or remove the file and it is tried again.',
  );
}

/** statfs of NIMBUS_HOME (state, downloads) and of the library; one line for both when they share a disk. */
export async function localDiskCheck(folders: { readonly home: string; readonly library: string }): Promise<DoctorCheck> {
  const title = 'Local disk';
  const seen = await Promise.all(
    [
      ['state', folders.home],
      ['library', folders.library],
    ].map(async ([what, path]) => {
      try {
        const fs = await statfs(path as string);
        return { what: what as string, path: path as string, free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize };
      } catch (error) {
        return { what: what as string, path: path as string, error: (error as NodeJS.ErrnoException).code ?? String(error) };
      }
    }),
  );
  const measured = seen.filter((s): s is { what: string; path: string; free: number; total: number } => 'free' in s);
  const unique = measured.filter((s, i) => measured.findIndex((o) => o.free === s.free && o.total === s.total) === i);
  const describe = unique.map((s) => `${s.what === 'state' && unique.length === 1 ? 'state and library' : s.what}: ${formatBytes(s.free)} free of ${formatBytes(s.total)}`).join('; ');
  const missing = seen.filter((s) => 'error' in s).map((s) => `${s.what} (${s.path}) not measured`);
  const detail = [describe, ...missing].filter((t) => t !== '').join('; ');
  if (measured.some((s) => s.free < DISK_FULL_BYTES)) {
    return failed('local-disk', title, `Full: ${detail}.`, remediesFor('LOCAL_STORAGE_FULL')[0]?.text ?? null, 'LOCAL_STORAGE_FULL');
  }
  if (measured.some((s) => s.free < 2e9 && s.free < s.total * DISK_WARN_SHARE)) {
    return warned('local-disk', title, `Nearly full: ${detail}.`, remediesFor('LOCAL_STORAGE_FULL')[0]?.text ?? null);
  }
  if (measured.length === 0) return warned('local-disk', title, `Not measured: ${detail}.`);
  return passed('local-disk', title, `${detail}.`);
}
