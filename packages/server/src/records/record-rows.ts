// Records as stored (JSON text columns) and as sent (NimbusRecord), and the cheap ways between them.
import type { NimbusRecord, Zone } from '@nimbus/protocol';
import type { Selectable } from 'kysely';
import type { RecordsTable } from '../db/schema.js';

export type RecordRow = Selectable<RecordsTable>;
/** A row without its owner: what a batch plans and writes. */
export type StoredRecord = Omit<RecordRow, 'account_id'>;

export const RECORD_COLUMNS = ['zone', 'id', 'version', 'deleted', 'data', 'blobs', 'size', 'seq', 'modified_at'] as const;

export function recordKey(zone: string, id: string): string {
  return `${zone}\u0000${id}`;
}

export function toRecord(row: StoredRecord): NimbusRecord {
  return {
    zone: row.zone as Zone,
    id: row.id,
    version: row.version,
    deleted: row.deleted === 1,
    data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
    blobs: JSON.parse(row.blobs) as string[],
    size: row.size,
    modifiedAt: row.modified_at,
  };
}

/**
 * The record as JSON text without parsing its data: `data` and `blobs` were written by
 * JSON.stringify on this server, so they are spliced in as they are (the feed's hot path).
 */
export function recordJson(row: StoredRecord): string {
  return (
    `{"zone":${JSON.stringify(row.zone)},"id":${JSON.stringify(row.id)},"version":${row.version},` +
    `"deleted":${row.deleted === 1},"data":${row.data ?? 'null'},"blobs":${row.blobs},` +
    `"size":${row.size},"modifiedAt":${row.modified_at}}`
  );
}
