// Wire shapes of blobs and resumable uploads.
import { z } from 'zod';
import { LIMITS } from './limits.js';
import { sha256Schema } from './records.js';
import { zoneSchema } from './zones.js';

export const blobCheckRequest = z.strictObject({ hashes: z.array(sha256Schema).min(1).max(LIMITS.blobCheckMaxHashes) });
export const blobCheckResponse = z.object({ present: z.array(sha256Schema), missing: z.array(sha256Schema) });

/** Start (or find again) an upload. The zone says which service the bytes are charged to. */
export const createUploadRequest = z.strictObject({
  sha256: sha256Schema,
  size: z.number().int().nonnegative().max(LIMITS.blobMaxBytes),
  zone: zoneSchema,
});
export const uploadView = z.object({
  /** Absent when the account has the blob already: nothing to send. */
  uploadId: z.string().optional(),
  sha256: sha256Schema,
  size: z.number(),
  /** Bytes the server holds: send from here (PUT /v1/uploads/:id with header `upload-offset`). */
  offset: z.number(),
  complete: z.boolean(),
});
export type UploadView = z.infer<typeof uploadView>;

/** Header on PUT /v1/uploads/:id: where this body's bytes start. Must equal the server's offset. */
export const UPLOAD_OFFSET_HEADER = 'upload-offset';

export type BlobCheckRequest = z.infer<typeof blobCheckRequest>;
export type BlobCheckResponse = z.infer<typeof blobCheckResponse>;
export type CreateUploadRequest = z.infer<typeof createUploadRequest>;

/** Upload session ids are opaque to clients; the server makes them (base64url). */
export const uploadIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not an upload id');

/** Answer of PUT /v1/uploads/:id: the bytes the server now holds. */
export const uploadChunkResponse = z.object({ offset: z.number() });
export type UploadChunkResponse = z.infer<typeof uploadChunkResponse>;

/**
 * Blob routes (all need a signed-in device; another account's ids answer 404):
 * - POST   /v1/blobs/check        {hashes} → {present, missing}
 * - POST   /v1/uploads            {sha256,size,zone} → 201 UploadView (200 with complete:true when the blob is there already)
 * - GET    /v1/uploads/:id        → UploadView with the current offset (resume from there)
 * - PUT    /v1/uploads/:id        header `upload-offset`, body application/octet-stream → {offset}
 * - POST   /v1/uploads/:id/complete → UploadView (complete:true); 409 UPLOAD_MISMATCH when the bytes do not hash to sha256
 * - DELETE /v1/uploads/:id        → 204, the reservation is released
 * - GET    /v1/blobs/:sha256      → bytes (Range: one range; 206 + Content-Range; 416 when unsatisfiable); HEAD too
 * - POST   /v1/blobs/pack         many small blobs in one body (BLOB_PACK_CONTENT_TYPE, see blob-pack.ts) → BlobPackResponse;
 *                                 all or nothing: 400/409/413 for a bad pack, 507 QUOTA_EXCEEDED when its new bytes do not fit
 */
export const BLOB_ROUTES = {
  check: '/v1/blobs/check',
  pack: '/v1/blobs/pack',
  uploads: '/v1/uploads',
  upload: '/v1/uploads/:id',
  complete: '/v1/uploads/:id/complete',
  blob: '/v1/blobs/:sha256',
} as const;

/** One blob announced in a pack's header; its bytes follow the header in the same order. */
export const blobPackEntry = z.strictObject({
  sha256: sha256Schema,
  size: z.number().int().nonnegative().max(LIMITS.blobPackBlobMaxBytes),
  zone: zoneSchema,
});
export const blobPackHeader = z.strictObject({ blobs: z.array(blobPackEntry).min(1).max(LIMITS.blobPackMaxBlobs) });
export type BlobPackEntry = z.infer<typeof blobPackEntry>;

/** Answer of POST /v1/blobs/pack, one result per announced blob, in order: stored now, or the account had it already. */
export const blobPackResponse = z.object({
  results: z.array(z.object({ sha256: sha256Schema, status: z.enum(['stored', 'present']) })),
});
export type BlobPackResponse = z.infer<typeof blobPackResponse>;
