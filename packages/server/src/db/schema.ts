// Table types for Kysely. Times are ms since epoch; booleans are 0/1 integers on both databases.
import type { Generated } from 'kysely';

export interface AccountsTable {
  id: string;
  email: string;
  password_hash: string;
  is_admin: number;
  quota_bytes: number;
  /** Bytes stored: record data plus each distinct blob once. */
  used_bytes: number;
  /** Bytes promised to uploads in progress. */
  reserved_bytes: number;
  /** Last change sequence number handed out for this account's feed. */
  change_seq: number;
  /** Tombstones at or below this sequence were purged: older change tokens must resync. */
  feed_horizon: number;
  totp_secret: string | null;
  totp_pending_secret: string | null;
  /** The last TOTP time step accepted: a code is good once (no replay within its 30 s window). */
  totp_last_step: number | null;
  created_at: number;
  password_changed_at: number;
}

export interface SessionsTable {
  id: string;
  account_id: string;
  device_name: string;
  created_at: number;
  last_seen_at: number;
  access_hash: string;
  access_expires_at: number;
  refresh_hash: string;
  /** The refresh token this one replaced: presenting it again means it leaked. */
  prev_refresh_hash: string | null;
  refresh_expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface RecordsTable {
  account_id: string;
  zone: string;
  id: string;
  version: number;
  deleted: number;
  /** The record's data as JSON text; null for tombstones. */
  data: string | null;
  /** JSON array of SHA-256 hex strings. */
  blobs: string;
  size: number;
  seq: number;
  modified_at: number;
}

export interface AccountBlobsTable {
  account_id: string;
  sha256: string;
  size: number;
  /** Where the bytes are in the blob store; unique per upload, so a re-upload never races a delete. */
  storage_key: string;
  /**
   * NULL: the object at storage_key is this blob. A number: the blob is `size` bytes from there inside an object
   * shared with the other backup chunks of its pack (deleted once no row names it).
   */
  storage_offset: number | null;
  /** The service the bytes were first charged to. */
  zone: string;
  /** Records referring to this blob; at 0 the blob is removed and its bytes refunded. */
  refcount: number;
  created_at: number;
}

export interface UploadsTable {
  id: string;
  account_id: string;
  sha256: string;
  size: number;
  zone: string;
  created_at: number;
  updated_at: number;
}

export interface LoginAttemptsTable {
  key: string;
  window_start: number;
  failures: number;
}

/** The latest status a device (a session) reported: a DeviceStatusReport as JSON. */
export interface DeviceStatusTable {
  session_id: string;
  account_id: string;
  report: string;
  reported_at: number;
}

/** The account's per-service switches (AccountServices as JSON); no row = everything on. */
export interface AccountServicesTable {
  account_id: string;
  settings: string;
  updated_at: number;
}

export interface BackupSnapshotsTable {
  account_id: string;
  id: string;
  /** When the backup started on the device (its clock), ms since epoch; the list's order. */
  created_at: number;
  host: string;
  /** JSON array of the folders backed up. */
  sources: string;
  /** JSON array of the manifest's blob hashes, in order. */
  manifest: string;
  file_count: number;
  total_bytes: number;
  /** Distinct bytes referred to (chunks and manifest), at commit time. */
  stored_bytes: number;
}

/** A snapshot's distinct blobs; each row holds one reference on account_blobs. */
export interface BackupBlobsTable {
  account_id: string;
  snapshot_id: string;
  sha256: string;
}

export interface BackupPoliciesTable {
  account_id: string;
  keep_last: number | null;
  keep_daily: number | null;
  keep_weekly: number | null;
  keep_monthly: number | null;
  prune_when_full: number;
  updated_at: number;
}

/** Snapshots removed without the user's `backup delete` (retention, a full account): shown by `nimbus storage`. */
export interface BackupPrunesTable {
  account_id: string;
  snapshot_id: string;
  created_at: number;
  removed_at: number;
  freed_bytes: number;
  reason: string;
}

export interface Database {
  accounts: AccountsTable;
  sessions: SessionsTable;
  records: RecordsTable;
  account_blobs: AccountBlobsTable;
  uploads: UploadsTable;
  login_attempts: LoginAttemptsTable;
  device_status: DeviceStatusTable;
  account_services: AccountServicesTable;
  backup_snapshots: BackupSnapshotsTable;
  backup_blobs: BackupBlobsTable;
  backup_policies: BackupPoliciesTable;
  backup_prunes: BackupPrunesTable;
  /** Kysely's own bookkeeping tables are not listed. */
  _placeholder?: { id: Generated<number> };
}
