// The blob store port: where blob bytes live (local filesystem by default, or S3-compatible storage).
import type { Readable } from 'node:stream';

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** A small object held in memory and the key it goes under. */
export interface ObjectBytes {
  key: string;
  bytes: Uint8Array;
}

/**
 * Stores immutable byte strings under keys chosen by the server (`<account>/<sha256>-<upload>`).
 *
 * Contract:
 * - `putFile` is durable when it resolves (fsync'd on disk, or acknowledged by S3) and atomic:
 *   a reader sees the whole object or none of it. It consumes (removes) the staged file, which
 *   lives on the same filesystem as a filesystem store's root (so it is a rename, not a copy).
 * - `get` of a missing key rejects with a NimbusError of kind NOT_FOUND. A range must lie inside the
 *   object (callers check it against the size they stored); the stream yields exactly those bytes.
 * - `delete` of a missing key succeeds (deletes are idempotent; the sweeper may repeat them).
 * - Keys contain only `[A-Za-z0-9._/-]`; the store never interprets user input as a path.
 */
export interface BlobStore {
  readonly kind: 'fs' | 's3';
  putFile(key: string, stagedPath: string, size: number): Promise<void>;
  /**
   * Stores many small objects from memory, each under a fresh key that nothing reads yet (no row
   * names it): the adapter may write in place and group its fsyncs. When it resolves every object
   * is durable and whole. Until then, or when it rejects, a key may hold none, part or all of its
   * bytes: the caller then deletes them all and never points at them.
   */
  putObjects(objects: readonly ObjectBytes[]): Promise<void>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  delete(key: string): Promise<void>;
  /** Whether the key exists (used by the sweeper and tests). */
  has(key: string): Promise<boolean>;
  close(): Promise<void>;
}
