// Wire shape of the storage report (quota, use per service, largest items).
import { z } from 'zod';
import { prunedSnapshot, snapshotView } from './backups.js';

/**
 * One record and what deleting it would free at most: its data plus the blobs it refers to
 * (a blob shared with other records is freed only when the last of them goes).
 */
export const storageItem = z.object({
  zone: z.string(),
  id: z.string(),
  bytes: z.number(),
  /** Of `bytes`, the blobs' part. */
  blobBytes: z.number(),
  modifiedAt: z.number(),
});
export type StorageItem = z.infer<typeof storageItem>;
export const storageResponse = z.object({
  quotaBytes: z.number(),
  usedBytes: z.number(),
  /** Bytes held for uploads in progress; counted against the quota until they finish or are abandoned. */
  reservedBytes: z.number(),
  /** Every zone: its records' data plus the blobs first charged to it. */
  byService: z.record(z.string(), z.number()),
  /** The 20 biggest records, biggest first. */
  largest: z.array(storageItem),
  /** Backup snapshots, newest first, each with what deleting it would free now (after dedupe). */
  backups: z.array(snapshotView.omit({ manifest: true })),
  /** Snapshots the server removed by itself (retention policy, or a nearly full account), newest first. */
  prunedBackups: z.array(prunedSnapshot),
  /** True above 90 % of the quota. */
  warning: z.boolean(),
});
export type StorageResponse = z.infer<typeof storageResponse>;

export const STORAGE_WARNING_RATIO = 0.9;

/** PUT /v1/admin/accounts/:id/quota (admins only): a plan is simply a per-account quota. */
export const setQuotaRequest = z.strictObject({ quotaBytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) });
export const quotaView = z.object({ accountId: z.string(), quotaBytes: z.number(), usedBytes: z.number() });
export type QuotaView = z.infer<typeof quotaView>;
