// Reading records: one record, and pages of the change feed.
import { NimbusError, type NimbusRecord, type Zone } from '@nimbus/protocol';
import type { ServerContext } from '../context.js';
import { decodeChangeToken, encodeChangeToken, isExpired, type FeedPosition } from './change-token.js';
import { selectFeedChanges, selectFeedState, selectRecords } from './record-queries.js';
import { toRecord } from './record-rows.js';

/** The record (tombstones included) or NOT_FOUND. */
export async function getRecord(ctx: ServerContext, accountId: string, zone: Zone, id: string): Promise<NimbusRecord> {
  const rows = await selectRecords(ctx.store.reader, ctx.store.dialect, accountId, [{ zone, id }]);
  const row = [...rows.values()][0];
  if (!row) throw new NimbusError('NOT_FOUND', `no record ${zone}/${id}`);
  return toRecord(row);
}

export interface FeedRequest {
  since: string | undefined;
  zones: readonly Zone[] | null;
  limit: number;
}

/**
 * One page of changes as JSON text (the feed is the hot read path: record data is spliced in
 * without being parsed). Shape: changesResponse.
 */
export async function readChangesJson(ctx: ServerContext, accountId: string, request: FeedRequest): Promise<string> {
  return (await readChangesPage(ctx, accountId, request)).json;
}

/** readChangesJson, with how many changes the page holds (a long-poll waits while it is 0). */
export async function readChangesPage(ctx: ServerContext, accountId: string, request: FeedRequest): Promise<{ json: string; count: number }> {
  const db = ctx.store.reader;
  const state = await selectFeedState(db, accountId);
  let position: FeedPosition;
  if (request.since === undefined) {
    // From scratch: what was deleted before now is left out. Read before the page, so every
    // sequence number at or below the floor belongs to a committed write.
    position = { seq: 0, floor: state.changeSeq };
  } else {
    position = decodeChangeToken(request.since);
    if (isExpired(position, state.horizon)) {
      throw new NimbusError('CHANGE_TOKEN_EXPIRED', 'this change token is older than the server keeps deleted records: resync from scratch');
    }
  }
  const rows = await selectFeedChanges(db, ctx.store.dialect, accountId, {
    afterSeq: position.seq,
    floor: position.floor,
    zones: request.zones,
    limit: request.limit + 1,
  });
  const more = rows.length > request.limit;
  if (more) rows.length = request.limit;
  const last = rows.at(-1);
  const seq = last ? last.seq : position.seq;
  // A finished page has seen everything up to the floor, so the floor is no longer needed.
  const next: FeedPosition = more ? { seq, floor: position.floor } : { seq: Math.max(seq, position.floor), floor: 0 };
  const json = `{"changes":[${rows.map((row) => row.json).join(',')}],"token":"${encodeChangeToken(next)}","more":${more}}`;
  return { json, count: rows.length };
}
