// The service adapter port: how one service's part of the library folder becomes records, and records become files.
import type { NimbusRecord, Service, Zone } from '@nimbus/protocol';
import type { WriteBatch } from './write-batch.js';

/**
 * What the engine remembers of one synced item (the mirror row), as the adapter sees it.
 *
 * Contract with the engine (refined by the adapters' owner):
 * - `scan()` receives only its own zone's rows, keyed by record id.
 * - After enqueuing a scan's changes the engine records them in the mirror at once, keeping `version`
 *   and `data` (the merge base) but taking the change's `path`, `localSize`, `localMtimeMs`, `localHash`
 *   (a delete sets `path` to null). Otherwise the next scan reports the same new file again (with a new id).
 * - Rows with `deleted: true` or `path: null` are ignored by scans.
 * - So "edited here" is judged against `data` (the base), never against the local stat: apply/resolveConflict
 *   compare the file with the base data, which keeps an edit that still waits in the outbox.
 */
export interface MirrorItem {
  zone: Zone;
  id: string;
  /** Server version last seen (0: never on the server yet). */
  version: number;
  /** The record data as last synced with the server: the base of three-way merges. null: tombstone/unsynced. */
  data: Record<string, unknown> | null;
  blobs: string[];
  /** Tombstone on the server (optional: absent = false). */
  deleted?: boolean;
  /** Path of the item's file relative to the library folder (`Notes/todo.md`), null if it has none. */
  path: string | null;
  /**
   * What the file was when last synced: lets a scan skip unchanged files without reading them.
   * `localMtimeMs` is whole milliseconds (adapters round `stat.mtimeMs`).
   */
  localSize: number | null;
  localMtimeMs: number | null;
  localHash: string | null;
}

/**
 * A change found on disk by a scan (or a follow-up of apply/resolveConflict).
 * `path` is relative to the library folder (`Drive/a/b.pdf`); record data paths (`data.path`) are relative
 * to the service folder (`a/b.pdf`), `/`-separated.
 */
export type LocalChange =
  /** A new or edited item. `id` is the mirror's id, or a new one the adapter made for a new file. */
  | {
      kind: 'put';
      zone: Zone;
      id: string;
      path: string;
      data: Record<string, unknown>;
      /** Blobs the record refers to, with the local file to upload each from. */
      blobs: { sha256: string; size: number; file: string }[];
      localSize: number;
      localMtimeMs: number;
      localHash: string;
    }
  | { kind: 'delete'; zone: Zone; id: string; path: string };

/** How a remote record was put on disk (or why not). */
export interface ApplyResult {
  /** Where the item now is, relative to the library folder (may differ from data.path when that name was taken). */
  path: string | null;
  localSize: number | null;
  localMtimeMs: number | null;
  localHash: string | null;
  /**
   * Local edits that could not be merged silently were kept (a conflict copy, markers in a note): the
   * engine enqueues these as new local changes. A follow-up with the record's own id (a merged note, a
   * local edit that outlives a remote delete) is written with the applied record's version as base.
   */
  followUps: LocalChange[];
  /**
   * The file was written into `ApplyOptions.batch` (not yet under its name): the engine mirrors it only after
   * placing the batch. Such a result has no follow-ups and removed no other file.
   */
  staged?: boolean;
  /**
   * Staged as a new file at this absolute path (`WriteBatch.create`): `localSize` is final, `localMtimeMs` is known
   * once the batch wrote it. If the name is taken by then, the engine applies the record again without a batch.
   */
  created?: string;
}

/** How the engine asks an adapter to apply. */
export interface ApplyOptions {
  /**
   * A page's write batch: a plain new or replaced file may be written into it instead of being made durable
   * at once (the engine places the batch, then mirrors). Anything else (merges, moves, removals) is done directly.
   */
  readonly batch?: WriteBatch;
  /**
   * Which other record the mirror has at this library path (`Notes/todo.md`), or undefined when none. Two records
   * that claim one name are told apart the same way on every device (the smaller id keeps it).
   */
  readonly pathOwner?: (path: string) => string | undefined;
  /**
   * The zone's first pull on this device: a file that no record owns at the incoming name is a copy this library
   * already had (a new device, a library restored from elsewhere) — adopt it instead of keeping both. Otherwise
   * such a file is new here, and both are kept.
   */
  readonly adopt?: boolean;
}

/** Of two records that claim one name, the one that keeps it — the same answer on every device. */
export const keepsName = (id: string, otherId: string): boolean => id < otherId;

/** Reads and writes through this, so tests (and a full disk) are real file system behaviour. */
export interface LibraryFs {
  /** Absolute path of the library folder (NIMBUS_LIBRARY). */
  readonly root: string;
}

/** Options of one scan. */
export interface ScanOptions {
  /** Skip files modified less than this many ms ago (still being written); they are neither new nor deleted. */
  readonly settleMs?: number;
  /** The clock for `settleMs` (default Date.now). */
  readonly now?: () => number;
  /**
   * A file the adapter cannot turn into a record (unparsable vCard, several cards in one file, note over
   * the record size limit…). The scan leaves it out and goes on; the engine shows it as set aside.
   */
  readonly onItemError?: (error: ItemError) => void;
}

/**
 * One item cannot sync (a bad file, or a server record with a hostile path). Thrown by apply/resolveConflict,
 * passed to `ScanOptions.onItemError` by scans. The engine sets the item aside with `reason`; other items go on.
 * Any other error (ENOSPC, EACCES on the folder…) is not about one item: it goes to the classifier as is.
 */
export class ItemError extends Error {
  readonly code = 'ITEM_ERROR';
  constructor(
    /** The item's path relative to the library folder (or the record's zone/id when it has no usable path). */
    readonly path: string,
    /** One plain sentence for a person. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
    this.name = 'ItemError';
  }
}

export const isItemError = (error: unknown): error is ItemError =>
  error instanceof ItemError || (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ITEM_ERROR');

export interface ServiceAdapter {
  readonly service: Service;
  readonly zone: Zone;
  /** The library subfolder this service owns (`Contacts`, `Notes`, `Photos`, `Drive`). */
  readonly folder: string;
  /**
   * Compares the folder with the mirror (this zone's rows, keyed by id) and returns what changed locally.
   * Must not read files whose size and mtime match the mirror. Never reports deletes when the folder itself
   * is missing (returns [] — the engine reports the missing library folder). Deletes come children first.
   */
  scan(mirror: ReadonlyMap<string, MirrorItem>, fs: LibraryFs, options?: ScanOptions): Promise<LocalChange[]>;
  /**
   * Brings a record from the server onto disk, merging with local edits made since `mirror` (the base).
   * Atomic per file (write to a temp file, then rename). `blobFile(sha)` gives a downloaded, hash-checked blob's path.
   * A tombstone removes the local file only if it is unchanged since the mirror; else the local edit comes back as
   * a follow-up put with the same id (deletes never win over edits, and never come back by themselves).
   * A record whose data is unusable (hostile path, bad shape) throws ItemError; nothing is written.
   */
  apply(record: NimbusRecord, mirror: MirrorItem | undefined, fs: LibraryFs, blobFile: (sha256: string) => Promise<string>, options?: ApplyOptions): Promise<ApplyResult>;
  /**
   * The server refused our write as a conflict: produce what to write now, based on the server's
   * record (`theirs`), the mirror's data (`base`) and our change. Notes/contacts merge (the merged text is
   * written to disk too, and `write` carries its local stat) — the engine sends `write` with `theirs.version`
   * as base. `write: null` means "take theirs": the engine calls `apply(theirs, …)` and mirrors the result
   * (Drive: the local file was moved to a conflict copy, which is a follow-up new item).
   */
  resolveConflict(ours: LocalChange & { kind: 'put' }, theirs: NimbusRecord, base: MirrorItem | undefined, fs: LibraryFs): Promise<{ write: LocalChange | null; followUps: LocalChange[] }>;
}
