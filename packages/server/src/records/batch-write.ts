// The batch write service: one transaction per batch, set-based, with a per-record answer.
import { LIMITS, NimbusError, type BatchWriteResponse, type WriteResult } from '@nimbus/protocol';
import { addBlobRefs, dropBlobRefs, lockBlobs, removeFreedBlobs, type FreedBlob, type WarnLogger } from '../blobs/blob-refs.js';
import type { ServerContext } from '../context.js';
import { chargeBytes } from '../quota/charge.js';
import { parseWrites, planBatch } from './batch-plan.js';
import { allocateSeqs, selectRecords, upsertRecords } from './record-queries.js';

/**
 * Applies a batch of writes for one account. Each write is answered on its own (ok, conflict,
 * quota, invalid); only when every write was refused for quota does the whole call fail with
 * 507 QUOTA_EXCEEDED, which clients treat as a pause.
 */
export async function writeBatch(ctx: ServerContext, accountId: string, raw: readonly unknown[], log: WarnLogger): Promise<BatchWriteResponse> {
  if (raw.length > LIMITS.batchMaxRecords) {
    throw new NimbusError('BATCH_TOO_LARGE', `a batch holds at most ${LIMITS.batchMaxRecords} writes, this one has ${raw.length}`, {
      limit: LIMITS.batchMaxRecords,
    });
  }
  const { writes, invalid } = parseWrites(raw);
  let planned: WriteResult[] = [];
  let freed: FreedBlob[] = [];
  let lastSeq = 0;
  let storageFreed = false;
  if (writes.length > 0) {
    ({ planned, freed, lastSeq, storageFreed } = await ctx.store.write(async (trx) => {
      // The account row first: it is the per-account lock (see allocateSeqs).
      const account = await allocateSeqs(trx, accountId, writes.length);
      const existing = await selectRecords(trx, ctx.store.dialect, accountId, writes);
      const present = await lockBlobs(trx, accountId, [...new Set(writes.flatMap((w) => w.blobs))]);
      const plan = planBatch({
        writes,
        existing,
        presentBlobs: present,
        figures: { usedBytes: account.usedBytes + account.reservedBytes, quotaBytes: account.quotaBytes },
        firstSeq: account.lastSeq - writes.length + 1,
        now: ctx.clock.now(),
      });
      if (plan.quotaRefusals === raw.length) {
        // Thrown inside the transaction so the sequence numbers are given back too.
        throw new NimbusError('QUOTA_EXCEEDED', 'the account storage is full: free some space or get a bigger plan', {
          usedBytes: account.usedBytes + account.reservedBytes,
          quotaBytes: account.quotaBytes,
          neededBytes: plan.neededBytes,
        });
      }
      await upsertRecords(trx, ctx.store.dialect, accountId, [...plan.rows.values()]);
      const added = new Map([...plan.blobDelta].filter(([, n]) => n > 0));
      const dropped = new Map([...plan.blobDelta].filter(([, n]) => n < 0).map(([sha, n]) => [sha, -n] as const));
      if (added.size > 0) await addBlobRefs(trx, accountId, added);
      if (plan.recordDelta !== 0) {
        const grace = plan.usedGrace ? LIMITS.essentialGraceBytes : 0;
        const charged = await chargeBytes(trx, accountId, plan.recordDelta, grace);
        // Cannot happen while the account row is locked; refuse loudly rather than overshoot.
        if (!charged.ok) throw new Error('quota charge disagreed with the batch plan');
      }
      const freedNow = dropped.size > 0 ? await dropBlobRefs(trx, accountId, dropped) : [];
      return { planned: plan.results, freed: freedNow, lastSeq: account.lastSeq, storageFreed: plan.recordDelta < 0 || freedNow.length > 0 };
    }));
  }
  // After the commit: long-polls of this account (other devices) re-read the feed at once.
  if (planned.some((r) => r.status === 'ok')) ctx.notifier.publish(accountId, { kind: 'feed', seq: lastSeq });
  // Devices paused for storage may fit now, whichever zones they listen to.
  if (storageFreed) ctx.notifier.publish(accountId, { kind: 'storage' });
  if (freed.length > 0) await removeFreedBlobs(ctx.store.reader, ctx.blobs, freed, log);
  const results: WriteResult[] = new Array<WriteResult>(raw.length);
  for (const [index, result] of invalid) results[index] = result;
  for (const result of planned) results[result.index] = result;
  return { results };
}
