// Wire shapes of device backups: the manifest a snapshot is made of, snapshots, the retention policy.
import { z } from 'zod';
import { sha256Schema } from './records.js';

/**
 * One entry of a snapshot's manifest. `path` is relative to the backup's root, `/`-separated, never
 * absolute and never with `..` (a restore refuses anything else). Files list their content chunks in order.
 */
export const manifestEntry = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('file'),
    path: z.string().min(1).max(4096),
    mode: z.number().int().nonnegative(),
    mtimeMs: z.number(),
    size: z.number().int().nonnegative(),
    chunks: z.array(sha256Schema),
  }),
  z.strictObject({ type: z.literal('dir'), path: z.string().min(1).max(4096), mode: z.number().int().nonnegative(), mtimeMs: z.number() }),
  z.strictObject({ type: z.literal('symlink'), path: z.string().min(1).max(4096), mtimeMs: z.number(), target: z.string().max(4096) }),
]);
export type ManifestEntry = z.infer<typeof manifestEntry>;

/**
 * A snapshot's manifest: gzipped JSON, stored as one or more blobs of at most LIMITS.blobPackBlobMaxBytes
 * (cut at fixed sizes; concatenated in order they are the gzip stream). `roots` are the folders backed up.
 */
export const backupManifest = z.strictObject({
  version: z.literal(1),
  roots: z.array(z.strictObject({ name: z.string(), source: z.string() })),
  entries: z.array(manifestEntry),
});
export type BackupManifest = z.infer<typeof backupManifest>;

/** POST /v1/backups: commit a snapshot whose manifest blobs (and every chunk they name) are uploaded. */
export const commitSnapshotRequest = z.strictObject({
  manifest: z.array(sha256Schema).min(1).max(10_000),
  /** The device's name and the folders it backed up, for people reading the list. */
  host: z.string().max(200),
  sources: z.array(z.string().max(4096)).max(100),
  /** When the backup started on the device (ms since epoch). */
  startedAt: z.number().int().nonnegative(),
});
export type CommitSnapshotRequest = z.infer<typeof commitSnapshotRequest>;

export const snapshotView = z.object({
  id: z.string(),
  createdAt: z.number(),
  host: z.string(),
  sources: z.array(z.string()),
  fileCount: z.number(),
  /** Bytes of the files it holds (before dedupe). */
  totalBytes: z.number(),
  /** Distinct bytes it refers to (chunks and manifest, each once). */
  storedBytes: z.number(),
  /** What deleting it alone would free now: the bytes no other snapshot or record shares. */
  freesBytes: z.number(),
  manifest: z.array(sha256Schema),
});
export type SnapshotView = z.infer<typeof snapshotView>;

/** Why a snapshot was removed without the user's `backup delete`. */
export const PRUNE_REASONS = {
  /** The retention policy no longer keeps it (applied after each backup). */
  policy: 'policy',
  /** The account was above 90 % and the policy allows pruning when full. */
  storage_full: 'storage_full',
} as const;
export type PruneReason = (typeof PRUNE_REASONS)[keyof typeof PRUNE_REASONS];

export const prunedSnapshot = z.object({
  id: z.string(),
  createdAt: z.number(),
  removedAt: z.number(),
  freedBytes: z.number(),
  reason: z.enum(Object.values(PRUNE_REASONS) as [PruneReason, ...PruneReason[]]),
});
export type PrunedSnapshot = z.infer<typeof prunedSnapshot>;

const keep = z.number().int().nonnegative().max(100_000).nullable();
/**
 * Which snapshots to keep, like `restic forget`: the newest `keepLast`, and the newest of each of the last
 * `keepDaily` days (weeks, months) that have one. All null: keep everything. The newest is always kept.
 * `pruneWhenFull`: above 90 % of the quota the server may remove the oldest snapshots (never the newest).
 */
export const retentionPolicy = z.strictObject({
  keepLast: keep,
  keepDaily: keep,
  keepWeekly: keep,
  keepMonthly: keep,
  pruneWhenFull: z.boolean(),
});
export type RetentionPolicy = z.infer<typeof retentionPolicy>;

export const DEFAULT_RETENTION: RetentionPolicy = { keepLast: null, keepDaily: null, keepWeekly: null, keepMonthly: null, pruneWhenFull: true };

export const commitSnapshotResponse = z.object({
  /** Absent when blobs are missing: upload those and commit again. */
  snapshot: snapshotView.optional(),
  missing: z.array(sha256Schema),
  /** Snapshots removed by the retention policy after this one was committed. */
  pruned: z.array(prunedSnapshot),
});
export type CommitSnapshotResponse = z.infer<typeof commitSnapshotResponse>;

export const snapshotListResponse = z.object({
  snapshots: z.array(snapshotView),
  policy: retentionPolicy,
  /** Snapshots removed automatically (policy or a full account), newest first. */
  pruned: z.array(prunedSnapshot),
});
export type SnapshotListResponse = z.infer<typeof snapshotListResponse>;

export const deleteSnapshotResponse = z.object({ freedBytes: z.number() });
export type DeleteSnapshotResponse = z.infer<typeof deleteSnapshotResponse>;

export const policyResponse = z.object({ policy: retentionPolicy, pruned: z.array(prunedSnapshot) });
export type PolicyResponse = z.infer<typeof policyResponse>;

/**
 * Backup routes (signed-in device; another account's snapshots answer 404):
 * - POST   /v1/backups            CommitSnapshotRequest → CommitSnapshotResponse (visible only once committed)
 * - GET    /v1/backups            → SnapshotListResponse, newest first
 * - GET    /v1/backups/:id        → SnapshotView
 * - DELETE /v1/backups/:id        → DeleteSnapshotResponse (unshared chunks freed, quota refunded)
 * - PUT    /v1/backups/policy     RetentionPolicy → PolicyResponse (applied at once)
 */
export const BACKUP_ROUTES = {
  snapshots: '/v1/backups',
  snapshot: '/v1/backups/:id',
  policy: '/v1/backups/policy',
} as const;
