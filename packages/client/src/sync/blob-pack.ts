// Small blobs go up many per request (POST /v1/blobs/pack); what a pack cannot take goes the one-by-one way.
import { LIMITS, NimbusError, isNimbusError, type BlobPackEntry } from '@nimbus/protocol';
import { readFileSync } from 'node:fs';
import { hashText } from '../adapters/file-hash.js';
import { describeItemError } from '../engine/classify.js';
import type { Lane } from '../engine/lanes.js';
import type { OutboxBlob, OutboxOp } from '../store/outbox.js';
import { meterOf } from './blob-transfer.js';
import { inParallel } from './in-parallel.js';
import { guard, type PassContext } from './pass-context.js';
import type { SyncTransport } from './ports.js';

/** One missing blob and the op whose file supplies it. */
export interface BlobJob {
  blob: OutboxBlob;
  op: OutboxOp;
}

/** What happened to the jobs: blobs now on the server, ops that failed (seq → reason). */
export interface BlobOutcome {
  up: Set<string>;
  failed: Map<number, string>;
}

/**
 * Content bytes per pack: big enough that a request carries hundreds of small files, small enough that
 * the device reads the next pack while the server stores this one.
 */
const PACK_BYTES = 1024 * 1024;
/** Packs in flight: one being stored by the server while the next is read and sent. */
const PACKS_IN_FLIGHT = 2;

/** Transports whose server answered that it has no pack route (an older server): this pass sends blobs one by one. */
const withoutPacks = new WeakSet<SyncTransport>();

/** Whether a blob goes in a pack: small enough for the route, and small enough to be one PUT anyway. */
export function packable(blob: OutboxBlob, chunkBytes: number): boolean {
  return blob.size <= Math.min(LIMITS.blobPackBlobMaxBytes, chunkBytes);
}

/**
 * Uploads `jobs` in packs, recording each blob that is up and each op whose file changed since the scan.
 * Returns the jobs to send one by one instead: all of them when the server has no pack route, and those
 * of a pack the server refused (a full account: the one-by-one path stores what fits, then stops the lane).
 */
export async function uploadInPacks(ctx: PassContext, lane: Lane, jobs: readonly BlobJob[], outcome: BlobOutcome): Promise<BlobJob[]> {
  const leftover: BlobJob[] = [];
  const meter = meterOf(ctx);
  const sendPack = async (group: BlobJob[]): Promise<void> => {
    if (ctx.laneStops.has(lane)) return;
    if (withoutPacks.has(ctx.transport)) {
      leftover.push(...group);
      return;
    }
    const read = readGroup(group, outcome);
    if (read.length === 0) return;
    const entries: BlobPackEntry[] = read.map(({ job }) => ({ sha256: job.blob.sha256, size: job.blob.size, zone: job.op.zone }));
    const bytes = entries.reduce((sum, entry) => sum + entry.size, 0);
    meter.expect(bytes);
    const sent = await guard(ctx, lane, () => ctx.transport.uploadBlobPack(entries, read.map((r) => r.bytes), ctx.signal));
    if (sent.ok) {
      for (const result of sent.value.results) outcome.up.add(result.sha256);
      // Bytes only: the caller reports the outbox counts once for the batch (counting them costs a query).
      meter.moved(bytes);
      return;
    }
    if (isNimbusError(sent.error) && sent.error.kind === 'NOT_FOUND') withoutPacks.add(ctx.transport);
    // Refused for quota, no route, or a refusal that names no blob: one by one, each gets its own answer.
    leftover.push(...read.map((r) => r.job));
  };
  await inParallel(groupsOf(jobs), PACKS_IN_FLIGHT, sendPack);
  return leftover;
}

/** Splits jobs into packs within the route's limits. */
function groupsOf(jobs: readonly BlobJob[]): BlobJob[][] {
  const groups: BlobJob[][] = [];
  let current: BlobJob[] = [];
  let bytes = 0;
  const limit = Math.min(PACK_BYTES, LIMITS.blobPackMaxBytes);
  for (const job of jobs) {
    if (current.length > 0 && (bytes + job.blob.size > limit || current.length >= LIMITS.blobPackMaxBlobs)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(job);
    bytes += job.blob.size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * Reads the group's files and keeps those whose bytes still are what the scan saw; a file changed or gone
 * since fails its op (the next scan queues what it holds now), so it never spoils the rest of the pack.
 * Synchronous reads: the files are small and a pack holds at most PACK_BYTES, so the loop waits a few
 * milliseconds at most, where promise reads cost four thread-pool round trips per file.
 */
function readGroup(group: readonly BlobJob[], outcome: BlobOutcome): { job: BlobJob; bytes: Buffer }[] {
  const read: { job: BlobJob; bytes: Buffer }[] = [];
  for (const job of group) {
    try {
      const bytes = readFileSync(job.blob.file);
      if (bytes.length !== job.blob.size || hashText(bytes) !== job.blob.sha256) {
        throw new NimbusError('UPLOAD_MISMATCH', `${job.blob.file} changed since it was scanned`);
      }
      read.push({ job, bytes });
    } catch (error) {
      outcome.failed.set(job.op.seq, describeItemError(error));
    }
  }
  return read;
}
