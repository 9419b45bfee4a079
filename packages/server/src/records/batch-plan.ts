// The pure part of a batch write: validate each write, then decide ok / conflict / quota in order,
// against the rows as they stand, so a second write of the same record sees the first one's result.
import {
  ESSENTIAL_ZONES,
  LIMITS,
  recordWriteSchema,
  type WriteResult,
  type Zone,
} from '@nimbus/protocol';
import { recordKey, toRecord, type StoredRecord } from './record-rows.js';

/** A write that passed validation, with its data already serialized and measured. */
export interface ParsedWrite {
  index: number;
  zone: Zone;
  id: string;
  key: string;
  baseVersion: number;
  isDelete: boolean;
  dataJson: string | null;
  blobs: string[];
  size: number;
}

export interface ParsedBatch {
  writes: ParsedWrite[];
  /** Answers already known (invalid writes), by index. */
  invalid: Map<number, WriteResult>;
}

export function parseWrites(raw: readonly unknown[]): ParsedBatch {
  const writes: ParsedWrite[] = [];
  const invalid = new Map<number, WriteResult>();
  raw.forEach((item, index) => {
    const refuse = (message: string) => invalid.set(index, { index, ...looseKey(item), status: 'invalid', message });
    const parsed = recordWriteSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return refuse(issue ? `${issue.path.map(String).join('.') || '(write)'}: ${issue.message}` : 'invalid write');
    }
    const w = parsed.data;
    const isDelete = w.delete === true;
    if (isDelete && (w.data !== undefined || (w.blobs?.length ?? 0) > 0)) return refuse('a delete carries no data or blobs');
    if (!isDelete && w.data === undefined) return refuse('data is required (or delete: true)');
    const dataJson = isDelete ? null : serialize(w.data);
    if (dataJson === undefined) return refuse('record data is nested too deeply');
    const size = dataJson === null ? 0 : Buffer.byteLength(dataJson);
    if (size > LIMITS.recordMaxBytes) {
      return refuse(`record data is ${size} bytes, more than the ${LIMITS.recordMaxBytes} allowed: put big content in a blob`);
    }
    const blobs = [...new Set(w.blobs ?? [])];
    writes.push({ index, zone: w.zone, id: w.id, key: recordKey(w.zone, w.id), baseVersion: w.baseVersion, isDelete, dataJson, blobs, size });
  });
  return { writes, invalid };
}

/** JSON text of the data; undefined when it cannot be written (hostile nesting overflows the stack). */
function serialize(data: unknown): string | undefined {
  try {
    return JSON.stringify(data);
  } catch {
    return undefined;
  }
}

function looseKey(item: unknown): { zone: string | null; id: string | null } {
  const o = (typeof item === 'object' && item !== null ? item : {}) as { zone?: unknown; id?: unknown };
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, LIMITS.recordIdMaxLength) : null);
  return { zone: text(o.zone), id: text(o.id) };
}

export interface QuotaFigures {
  /** used + reserved bytes when the batch starts. */
  usedBytes: number;
  quotaBytes: number;
}

export interface BatchPlan {
  /** One answer per valid write (invalid ones stay in ParsedBatch.invalid). */
  results: WriteResult[];
  /** Final state of every record the batch changes: what to upsert. */
  rows: Map<string, StoredRecord>;
  /** Net bytes of record data to charge (negative refunds). */
  recordDelta: number;
  /** Whether an accepted write relied on the essential allowance. */
  usedGrace: boolean;
  /** Net reference changes per blob. */
  blobDelta: Map<string, number>;
  quotaRefusals: number;
  /** Bytes the quota-refused writes needed together. */
  neededBytes: number;
  /** Running used bytes after the batch, as the plan sees it. */
  usedBytes: number;
}

export interface PlanInput {
  writes: readonly ParsedWrite[];
  existing: ReadonlyMap<string, StoredRecord>;
  presentBlobs: ReadonlySet<string>;
  figures: QuotaFigures;
  firstSeq: number;
  now: number;
}

export function essentialGrace(zone: Zone, size: number): number {
  return ESSENTIAL_ZONES.includes(zone) && size < LIMITS.essentialRecordMaxBytes ? LIMITS.essentialGraceBytes : 0;
}

export function planBatch(input: PlanInput): BatchPlan {
  const state = new Map(input.existing);
  const plan: BatchPlan = {
    results: [],
    rows: new Map(),
    recordDelta: 0,
    usedGrace: false,
    blobDelta: new Map(),
    quotaRefusals: 0,
    neededBytes: 0,
    usedBytes: input.figures.usedBytes,
  };
  let seq = input.firstSeq;
  for (const w of input.writes) {
    const base = { index: w.index, zone: w.zone, id: w.id };
    const current = state.get(w.key);
    const currentVersion = current?.version ?? 0;
    if (w.baseVersion !== currentVersion) {
      plan.results.push({ ...base, status: 'conflict', server: current ? toRecord(current) : null });
      continue;
    }
    // Deleting what is absent or already deleted changes nothing.
    if (w.isDelete && (current === undefined || current.deleted === 1)) {
      plan.results.push({ ...base, status: 'ok', version: currentVersion });
      continue;
    }
    const missing = w.blobs.find((sha) => !input.presentBlobs.has(sha));
    if (missing !== undefined) {
      plan.results.push({ ...base, status: 'invalid', message: `blob ${missing} not uploaded: upload it before the record that refers to it` });
      continue;
    }
    const delta = w.size - (current?.size ?? 0);
    if (delta > 0) {
      const grace = essentialGrace(w.zone, w.size);
      if (plan.usedBytes + delta > input.figures.quotaBytes + grace) {
        plan.quotaRefusals++;
        plan.neededBytes += delta;
        plan.results.push({ ...base, status: 'quota', usedBytes: plan.usedBytes, quotaBytes: input.figures.quotaBytes, neededBytes: delta });
        continue;
      }
      if (plan.usedBytes + delta > input.figures.quotaBytes) plan.usedGrace = true;
    }
    plan.usedBytes += delta;
    plan.recordDelta += delta;
    countBlobs(plan.blobDelta, w.blobs, 1);
    if (current && current.blobs !== '[]') countBlobs(plan.blobDelta, JSON.parse(current.blobs) as string[], -1);
    const row: StoredRecord = {
      zone: w.zone,
      id: w.id,
      version: currentVersion + 1,
      deleted: w.isDelete ? 1 : 0,
      data: w.dataJson,
      blobs: JSON.stringify(w.blobs),
      size: w.size,
      seq: seq++,
      modified_at: input.now,
    };
    state.set(w.key, row);
    plan.rows.set(w.key, row);
    plan.results.push({ ...base, status: 'ok', version: row.version });
  }
  return plan;
}

function countBlobs(counts: Map<string, number>, shas: readonly string[], step: number): void {
  for (const sha of shas) counts.set(sha, (counts.get(sha) ?? 0) + step);
}
