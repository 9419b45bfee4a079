// Documented limits of the API. The server enforces them; clients size their batches by them.

export const LIMITS = {
  /** Records in one POST /v1/records/batch. */
  batchMaxRecords: 1000,
  /** Bytes of one batch request body. */
  batchMaxBytes: 8 * 1024 * 1024,
  /** Bytes of one record's `data` (as JSON). Bigger content goes in blobs. */
  recordMaxBytes: 1024 * 1024,
  /** Characters of a record id. */
  recordIdMaxLength: 512,
  /** Blobs referenced by one record. */
  recordMaxBlobs: 64,
  /** Hashes in one POST /v1/blobs/check. */
  blobCheckMaxHashes: 1000,
  /** Records in one change-feed page (default 500). */
  feedMaxPage: 5000,
  feedDefaultPage: 500,
  /** Longest long-poll of the change feed (`wait`, seconds). */
  feedMaxWaitSeconds: 60,
  /** Bytes of any other JSON body. */
  jsonBodyMaxBytes: 64 * 1024,
  /** A record in an essential zone smaller than this still syncs when the account is full… */
  essentialRecordMaxBytes: 64 * 1024,
  /** …as long as the account stays within quota + this grace. */
  essentialGraceBytes: 50 * 1024 * 1024,
  /** The largest single blob. */
  blobMaxBytes: 64 * 1024 * 1024 * 1024,
  /** Bytes of one upload PUT (a client sends a large blob as several). */
  uploadChunkMaxBytes: 2 * 1024 * 1024 * 1024,
  /** Blobs in one POST /v1/blobs/pack (many small blobs in one request). */
  blobPackMaxBlobs: 1000,
  /** Bytes of blob content in one pack (the header comes on top). */
  blobPackMaxBytes: 8 * 1024 * 1024,
  /** The largest blob a pack may carry; bigger ones take the resumable upload. */
  blobPackBlobMaxBytes: 1024 * 1024,
  /** Bytes of a pack's JSON header. */
  blobPackHeaderMaxBytes: 256 * 1024,
} as const;

export const DEFAULT_QUOTA_BYTES = 5 * 1000 * 1000 * 1000;
