// Push: one lane's outbox items to the server, blobs before the records that refer to them, in batches.
import type { RecordWrite } from '@nimbus/protocol';
import { describeItemError } from '../engine/classify.js';
import type { Lane } from '../engine/lanes.js';
import type { OutboxOp } from '../store/outbox.js';
import { packable, uploadInPacks, type BlobJob } from './blob-pack.js';
import { meterOf, missingBlobs, uploadBlob } from './blob-transfer.js';
import { inParallel } from './in-parallel.js';
import { guard, type PassContext } from './pass-context.js';
import { handleAnswer, landed } from './push-answers.js';

/**
 * Pushes what the lane holds once through; returns how many items left the outbox or moved on. The next
 * batch's blobs go up while this batch's records are written (the two use the network and the server's
 * disk and database in turn). Safe: nextBatch holds back a later op of a record while an earlier one is
 * still in the outbox, so no record is in two batches at once.
 */
export async function pushLane(ctx: PassContext, lane: Lane): Promise<number> {
  let moved = 0;
  if (ctx.laneStops.has(lane)) return moved;
  let batch = takeBatch(ctx, lane, 0);
  let blobsUp = settled(uploadBlobsOf(ctx, lane, batch.items));
  for (;;) {
    const ready = unwrap(await blobsUp);
    const current = batch;
    let ahead: Promise<Settled<OutboxOp[]>> | undefined;
    if (current.haveMore && !ctx.laneStops.has(lane)) {
      batch = takeBatch(ctx, lane, current.cursor);
      ahead = blobsUp = settled(uploadBlobsOf(ctx, lane, batch.items));
    }
    try {
      moved += await sendRecords(ctx, lane, ready);
    } catch (error) {
      // The next batch's uploads never run on after the pass stopped: they settle first.
      if (ahead) await ahead;
      throw error;
    }
    if (!ahead) return moved;
  }
}

function takeBatch(ctx: PassContext, lane: Lane, after: number): { items: OutboxOp[]; cursor: number; haveMore: boolean } {
  const batch = ctx.outbox.nextBatch(lane, ctx.tuning.batchSize, after);
  return { items: batch.items.filter((op) => ctx.allowed.has(op.service)), cursor: batch.cursor, haveMore: batch.haveMore };
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
/** A promise that never rejects (so it can wait unobserved), unwrapped where it is awaited. */
const settled = <T>(promise: Promise<T>): Promise<Settled<T>> =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
function unwrap<T>(result: Settled<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

/** Writes the records whose blobs are up, and mirrors what landed. */
async function sendRecords(ctx: PassContext, lane: Lane, ready: OutboxOp[]): Promise<number> {
  if (ready.length === 0) return 0;
  const writes: RecordWrite[] = ready.map((op) =>
    op.kind === 'delete'
      ? { zone: op.zone, id: op.id, baseVersion: op.baseVersion, delete: true }
      : { zone: op.zone, id: op.id, baseVersion: op.baseVersion, data: op.data ?? {}, blobs: op.blobs.map((b) => b.sha256) },
  );
  // From here the server may apply them even if we never hear back: a replay must be recognised.
  ctx.outbox.markSent(ready.map((op) => op.seq));
  const sent = await guard(ctx, lane, () => ctx.transport.writeRecords(writes, ctx.signal));
  if (!sent.ok) {
    if (sent.failure) {
      // Every write was refused for quota: nothing was applied; the lane waits.
      ctx.store.tx(() => ready.forEach((op) => ctx.outbox.markUnsent(op.seq)));
      ctx.laneStops.set(lane, sent.failure);
    } else {
      const reason = describeItemError(sent.error);
      ctx.store.tx(() => ready.forEach((op) => ctx.outbox.fail(op.seq, reason)));
      ctx.progress();
    }
    return 0;
  }
  let moved = 0;
  const results = sent.value.results;
  // Writes that landed are mirrored and leave the outbox in one transaction (one fsync for the batch).
  ctx.store.tx(() => {
    ready.forEach((op, index) => {
      const answer = results[index];
      if (answer?.status !== 'ok') return;
      landed(ctx, op, answer.version);
      moved++;
    });
  });
  for (const [index, op] of ready.entries()) {
    const answer = results[index];
    if (answer === undefined || answer.status === 'ok') continue;
    if (await handleAnswer(ctx, lane, op, answer)) moved++;
  }
  ctx.pushed += moved;
  ctx.progress();
  return moved;
}

/** Small blobs uploaded at the same time when they cannot go in packs (each is a few round trips); big ones go one at a time. */
const SMALL_PARALLEL = 8;
/** Up to this size a blob that is not packed goes up beside others; bigger ones go one at a time. */
const PARALLEL_MAX_BYTES = 8 * 1024 * 1024;

/** Uploads the batch's missing blobs; returns the items whose blobs are all on the server. */
async function uploadBlobsOf(ctx: PassContext, lane: Lane, items: OutboxOp[]): Promise<OutboxOp[]> {
  const hashes = items.flatMap((op) => (op.kind === 'put' ? op.blobs.map((b) => b.sha256) : []));
  if (hashes.length === 0) return items;
  const checked = await guard(ctx, lane, () => missingBlobs(ctx.transport, hashes, ctx.signal));
  if (!checked.ok) {
    if (checked.failure) ctx.laneStops.set(lane, checked.failure);
    return [];
  }
  const missing = checked.value;
  // One upload per missing blob (the first op naming it supplies the file); an op is ready when all of its blobs are up.
  const jobs = new Map<string, BlobJob>();
  for (const op of items) for (const blob of op.kind === 'put' ? op.blobs : []) if (missing.has(blob.sha256) && !jobs.has(blob.sha256)) jobs.set(blob.sha256, { blob, op });
  const failed = new Map<number, string>(); // op seq → reason
  const up = new Set<string>();
  const meter = meterOf(ctx);
  const uploadOne = async ({ blob, op }: BlobJob): Promise<void> => {
    if (ctx.laneStops.has(lane)) return;
    const result = await guard(ctx, lane, () => uploadBlob(ctx.transport, blob, op.zone, ctx.tuning.chunkBytes, ctx.signal, meter));
    if (result.ok) {
      up.add(blob.sha256);
      return;
    }
    if (result.failure) ctx.laneStops.set(lane, result.failure); // QUOTA_EXCEEDED: the rest of the lane waits
    // Often the file changed or vanished since the scan: the next scan's op replaces this one.
    else failed.set(op.seq, describeItemError(result.error));
  };
  const all = [...jobs.values()];
  // Small files go many per request; what a pack could not take (an older server, a full account) one by one.
  const unpacked = await uploadInPacks(ctx, lane, all.filter((j) => packable(j.blob, ctx.tuning.chunkBytes)), { up, failed });
  const small = all.filter((j) => !packable(j.blob, ctx.tuning.chunkBytes) && j.blob.size <= Math.min(PARALLEL_MAX_BYTES, ctx.tuning.chunkBytes));
  await inParallel([...unpacked, ...small], SMALL_PARALLEL, uploadOne);
  await inParallel(all.filter((j) => !packable(j.blob, ctx.tuning.chunkBytes) && j.blob.size > Math.min(PARALLEL_MAX_BYTES, ctx.tuning.chunkBytes)), 1, uploadOne);
  // Moved bytes already told the status; the outbox counts change here only when items failed (counting costs a query).
  if (failed.size > 0) {
    ctx.store.tx(() => failed.forEach((reason, seq) => ctx.outbox.fail(seq, reason, false)));
    ctx.progress();
  }
  return items.filter((op) => (op.kind === 'put' ? op.blobs : []).every((b) => !missing.has(b.sha256) || up.has(b.sha256)));
}
