// Wire shapes of records, batch writes and the change feed.
import { z } from 'zod';
import { LIMITS } from './limits.js';
import { zoneSchema } from './zones.js';

export const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');

/** Any text but control characters; never used as a path on the server. */
export const recordIdSchema = z
  .string()
  .min(1)
  .max(LIMITS.recordIdMaxLength)
  .regex(/^[^\p{Cc}]+$/u, 'no control characters');

export const recordDataSchema = z.record(z.string(), z.unknown());

/** A record as the server keeps it. `version` starts at 1; a tombstone has `deleted: true` and no data. */
export const recordSchema = z.object({
  zone: zoneSchema,
  id: recordIdSchema,
  version: z.number().int().positive(),
  deleted: z.boolean(),
  data: recordDataSchema.nullable(),
  blobs: z.array(sha256Schema),
  /** Bytes charged for the data (the blobs are charged once per account, see storage). */
  size: z.number().int().nonnegative(),
  modifiedAt: z.number(),
});
export type NimbusRecord = z.infer<typeof recordSchema>;

/**
 * One write. `baseVersion` is the version this edit started from: 0 for "create", the
 * record's current version to update or delete. A mismatch answers `conflict` with the server's copy.
 * A tombstone is a record too: recreating a deleted record uses the tombstone's version as base.
 * Deleting what is absent (base 0) or already deleted is a no-op answered `ok` with the current version.
 * `data` is required unless `delete: true`; a delete carries neither data nor blobs.
 */
export const recordWriteSchema = z.strictObject({
  zone: zoneSchema,
  id: recordIdSchema,
  baseVersion: z.number().int().nonnegative(),
  delete: z.literal(true).optional(),
  data: recordDataSchema.optional(),
  blobs: z.array(sha256Schema).max(LIMITS.recordMaxBlobs).optional(),
});
export type RecordWrite = z.infer<typeof recordWriteSchema>;

/** The batch is validated item by item on the server, so one bad record never fails the rest. */
export const batchWriteRequest = z.strictObject({ writes: z.array(z.unknown()).min(1) });

export const writeResultSchema = z.discriminatedUnion('status', [
  z.object({ index: z.number(), zone: z.string(), id: z.string(), status: z.literal('ok'), version: z.number() }),
  z.object({ index: z.number(), zone: z.string(), id: z.string(), status: z.literal('conflict'), server: recordSchema.nullable() }),
  z.object({
    index: z.number(),
    zone: z.string(),
    id: z.string(),
    status: z.literal('quota'),
    usedBytes: z.number(),
    quotaBytes: z.number(),
    neededBytes: z.number(),
  }),
  z.object({ index: z.number(), zone: z.string().nullable(), id: z.string().nullable(), status: z.literal('invalid'), message: z.string() }),
]);
export type WriteResult = z.infer<typeof writeResultSchema>;
export const batchWriteResponse = z.object({ results: z.array(writeResultSchema) });
export type BatchWriteResponse = z.infer<typeof batchWriteResponse>;

/**
 * GET /v1/changes?since=TOKEN&zones=a,b&limit=N — an omitted `since` starts from the beginning
 * (a scan from scratch leaves out records that were already deleted when it began). Changes come
 * in commit order, tombstones included. A token belongs to the `zones` filter it was read with.
 * 410 CHANGE_TOKEN_EXPIRED means deleted records the token still needed were purged: resync from scratch.
 * `wait=N` (seconds, 0–60): a long-poll — when nothing is newer than `since`, the answer waits until
 * the account's feed moves (any device's write) or N seconds pass, then comes (possibly empty).
 */
export const changesQuery = z.strictObject({
  since: z.string().max(200).optional(),
  zones: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.feedMaxPage).default(LIMITS.feedDefaultPage),
  wait: z.coerce.number().int().min(0).max(LIMITS.feedMaxWaitSeconds).default(0),
});
export const changesResponse = z.object({
  changes: z.array(recordSchema),
  /** Opaque: pass it back as `since`. */
  token: z.string(),
  /** More pages wait: ask again with `token`. */
  more: z.boolean(),
  /**
   * Only on a long-poll (`wait`): the account's storage changed while waiting (space freed anywhere, the quota
   * changed). A device paused for storage tries again at once.
   */
  storageChanged: z.boolean().optional(),
  /** Only on a long-poll: the account's per-service switches changed (GET /v1/account/services). */
  servicesChanged: z.boolean().optional(),
});
export type ChangesResponse = z.infer<typeof changesResponse>;
