// What the engine does with the server's answer to one write: ok, conflict (merge or take theirs), quota, invalid.
import { NimbusError, type NimbusRecord, type WriteResult } from '@nimbus/protocol';
import { isItemError, type LocalChange } from '../adapters/adapter.js';
import { describeItemError, RETRY_QUIETLY } from '../engine/classify.js';
import type { Lane } from '../engine/lanes.js';
import type { OutboxOp } from '../store/outbox.js';
import { applyRemote } from './apply-remote.js';
import { enqueueChanges, guard, recordLocal, type PassContext } from './pass-context.js';

/** Returns true when the item left the outbox or moved on (a merge to send, a new base). */
export async function handleAnswer(ctx: PassContext, lane: Lane, op: OutboxOp, answer: WriteResult): Promise<boolean> {
  switch (answer.status) {
    case 'ok':
      landed(ctx, op, answer.version);
      return true;
    case 'quota': {
      ctx.outbox.markUnsent(op.seq);
      const error = new NimbusError('QUOTA_EXCEEDED', 'storage full', { usedBytes: answer.usedBytes, quotaBytes: answer.quotaBytes });
      const failure = await ctx.judge(error, lane);
      if (failure !== RETRY_QUIETLY) ctx.laneStops.set(lane, failure);
      return false;
    }
    case 'invalid':
      ctx.outbox.fail(op.seq, `refused by the server: ${answer.message}`, true);
      return false;
    case 'conflict':
      return conflict(ctx, lane, op, answer.server);
  }
}

/** The write is on the server at `version`: mirror it and drop the op, in one transaction. */
export function landed(ctx: PassContext, op: OutboxOp, version: number): void {
  ctx.store.tx(() => {
    const mirror = ctx.store.getMirror(op.zone, op.id);
    ctx.store.putMirror({
      zone: op.zone,
      id: op.id,
      version,
      deleted: op.kind === 'delete',
      data: op.kind === 'delete' ? null : op.data,
      blobs: op.blobs.map((b) => b.sha256),
      // The mirror's local stat is the newest enqueued change's (it may be newer than this op).
      path: mirror ? mirror.path : op.path,
      localSize: mirror ? mirror.localSize : op.localSize,
      localMtimeMs: mirror ? mirror.localMtimeMs : op.localMtimeMs,
      localHash: mirror ? mirror.localHash : op.localHash,
    });
    ctx.outbox.remove(op.seq);
    ctx.outbox.rebase(op.zone, op.id, version);
  });
}

async function conflict(ctx: PassContext, lane: Lane, op: OutboxOp, theirs: NimbusRecord | null): Promise<boolean> {
  if (theirs === null) {
    // The record is gone from the server altogether: a delete is done, a put creates it again.
    if (op.kind === 'delete') landed(ctx, op, ctx.store.getMirror(op.zone, op.id)?.version ?? 0);
    else ctx.outbox.setBase(op.seq, 0);
    return true;
  }
  if (isReplay(op, theirs)) {
    // What we sent is already there (an answer lost in a crash): applied once, now recorded.
    landed(ctx, op, theirs.version);
    return true;
  }
  if (op.kind === 'put' && theirs.deleted) {
    ctx.outbox.setBase(op.seq, theirs.version); // an edit outlives a delete: recreate on the tombstone
    return true;
  }
  const outcome = await guard(ctx, lane, async () => {
    if (op.kind === 'delete') {
      await takeTheirs(ctx, op, theirs); // an edit elsewhere wins over our delete
      return;
    }
    const adapter = ctx.adapters.get(op.zone);
    if (!adapter) {
      await takeTheirs(ctx, op, theirs);
      return;
    }
    const mirror = ctx.store.getMirror(op.zone, op.id);
    const resolved = await adapter.resolveConflict(oursOf(op), theirs, mirror, ctx.library);
    if (resolved.write === null) {
      await takeTheirs(ctx, op, theirs);
      ctx.store.tx(() => enqueueChanges(ctx, resolved.followUps, { id: op.id, version: theirs.version }));
      return;
    }
    const write = resolved.write;
    ctx.store.tx(() => {
      ctx.outbox.remove(op.seq);
      // Theirs is the new merge base; the merged result goes out on top of it.
      ctx.store.putMirror({ ...(mirror ?? emptyMirror(op)), version: theirs.version, deleted: false, data: theirs.data, blobs: theirs.blobs });
      ctx.outbox.enqueue(write, theirs.version, ctx.now());
      recordLocal(ctx.store, write);
      enqueueChanges(ctx, resolved.followUps, { id: op.id, version: theirs.version });
    });
  });
  if (outcome.ok) return true;
  ctx.outbox.fail(op.seq, isItemError(outcome.error) ? outcome.error.reason : describeItemError(outcome.error), isItemError(outcome.error));
  return false;
}

async function takeTheirs(ctx: PassContext, op: OutboxOp, theirs: NimbusRecord): Promise<void> {
  await applyRemote(ctx, theirs);
  ctx.outbox.remove(op.seq);
}

/** The server holds exactly what this op sends (its blobs may be more: a photo's original came after its metadata). */
function isReplay(op: OutboxOp, theirs: NimbusRecord): boolean {
  if (op.kind === 'delete') return theirs.deleted;
  if (theirs.deleted || theirs.data === null) return false;
  return canonical(op.data) === canonical(theirs.data) && op.blobs.every((b) => theirs.blobs.includes(b.sha256));
}

/** JSON with sorted keys: the server may hand back the same data with its keys in another order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function oursOf(op: OutboxOp): LocalChange & { kind: 'put' } {
  return {
    kind: 'put',
    zone: op.zone,
    id: op.id,
    path: op.path ?? '',
    data: op.data ?? {},
    blobs: op.blobs,
    localSize: op.localSize ?? 0,
    localMtimeMs: op.localMtimeMs ?? 0,
    localHash: op.localHash ?? '',
  };
}

const emptyMirror = (op: OutboxOp) => ({
  zone: op.zone,
  id: op.id,
  version: 0,
  deleted: false,
  data: null,
  blobs: [] as string[],
  path: op.path,
  localSize: op.localSize,
  localMtimeMs: op.localMtimeMs,
  localHash: op.localHash,
});
