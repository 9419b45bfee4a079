// Notes and contacts are records like any device's: read from the change feed, written with the version they
// edit (a device that changed it meanwhile makes it a conflict, answered with the server's copy).
import type { BatchWriteResponse, ChangesResponse, NimbusRecord, RecordWrite, WriteResult } from '@nimbus/protocol';
import { api } from './api';

/** Every live record of a zone (the feed from the start, page by page; tombstones dropped). */
export async function loadZone(zone: string): Promise<NimbusRecord[]> {
  const live = new Map<string, NimbusRecord>();
  let since: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ zones: zone, limit: '500', ...(since === undefined ? {} : { since }) });
    const page = await api<ChangesResponse>('GET', `/v1/changes?${query.toString()}`);
    for (const record of page.changes) {
      if (record.deleted) live.delete(record.id);
      else live.set(record.id, record);
    }
    since = page.token;
    if (!page.more) return [...live.values()];
  }
}

export async function writeRecord(write: RecordWrite): Promise<WriteResult> {
  const { results } = await api<BatchWriteResponse>('POST', '/v1/records/batch', { writes: [write] });
  const result = results[0];
  if (!result) throw new Error('the server answered no result');
  return result;
}

/** What a write's answer means for a person; null when it went through. */
export function writeProblem(result: WriteResult): string | null {
  switch (result.status) {
    case 'ok':
      return null;
    case 'conflict':
      return 'It was changed on another device meanwhile: the latest version is shown, your text is kept below it.';
    case 'quota':
      return 'Your storage is full: free some space (Storage page) and save again.';
    case 'invalid':
      return result.message;
  }
}

/** A new record id, unique like the ids devices make (a v4 UUID; randomUUID only exists over HTTPS and on localhost). */
export function newRecordId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A name usable as a file name on every device: no slashes, control characters or leading dots. */
export function safeFileName(title: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = title.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, ' ').replace(/^\.+/, '').trim();
  return cleaned.slice(0, 120) || 'Untitled';
}
