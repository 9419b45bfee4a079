// Bringing one server record onto disk through its adapter, then into the mirror (with any follow-ups).
import type { NimbusRecord } from '@nimbus/protocol';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MirrorItem } from '../adapters/adapter.js';
import { WriteBatch } from '../adapters/write-batch.js';
import { StagedMirror } from '../store/staged-mirror.js';
import { downloadBlob, meterOf } from './blob-transfer.js';
import { enqueueChanges, type PassContext } from './pass-context.js';

/**
 * A feed page's plain file writes, made durable together: `place()` fsyncs the temp files in parallel,
 * journals their mirror rows, renames them into place, syncs each folder once, then mirrors them (and
 * saves whatever `andThen` adds, e.g. the page's token) in one transaction.
 */
export class PageWrites {
  readonly batch = new WriteBatch();
  readonly #rows: MirrorItem[] = [];
  /** Ids and lower-cased paths of staged records: a record touching one waits until they are placed. */
  readonly keys = new Set<string>();
  readonly #journal: StagedMirror;

  constructor(private readonly ctx: Pick<PassContext, 'store'>) {
    this.#journal = new StagedMirror(ctx.store);
  }

  get staged(): number {
    return this.#rows.length;
  }

  stage(row: MirrorItem, keys: readonly string[]): void {
    this.#rows.push(row);
    for (const key of keys) this.keys.add(key);
  }

  async place(andThen?: () => void): Promise<void> {
    const rows = this.#rows.splice(0);
    this.keys.clear();
    if (rows.length > 0) {
      try {
        await this.batch.syncTemps();
        this.#journal.journal(rows);
        await this.batch.rename();
      } catch (error) {
        await this.batch.discard();
        throw error;
      }
    }
    if (rows.length > 0 || andThen) {
      this.ctx.store.durableTx(() => {
        this.#journal.settle(rows);
        andThen?.();
      });
    }
  }

  /** A failed page: no temp file stays, no row is mirrored. */
  async discard(): Promise<void> {
    this.#rows.length = 0;
    this.keys.clear();
    await this.batch.discard();
  }
}

export interface ApplyRemoteOptions {
  /** The record's mirror row when the caller loaded it already (a page loads its rows in one query). */
  mirror?: MirrorItem | undefined;
  /** The page whose batch a plain write may join (mirrored when the page is placed). */
  page?: PageWrites;
  /** The record's keys in the page (id, path). */
  keys?: readonly string[];
}

/**
 * Applies `record` (a live record or a tombstone). Throws the adapter's ItemError for a record that cannot
 * be put on disk, and any other error as is (a full disk) — the mirror is untouched then. Returns the new
 * mirror row (for a staged write: the row the page will mirror when placed) and whether follow-ups were enqueued.
 */
export async function applyRemote(ctx: PassContext, record: NimbusRecord, options: ApplyRemoteOptions = {}): Promise<{ row: MirrorItem; followUps: boolean }> {
  const adapter = ctx.adapters.get(record.zone);
  const mirror = 'mirror' in options ? options.mirror : ctx.store.getMirror(record.zone, record.id);
  if (!adapter) {
    // No folder for this service (passwords, backups): keep the server's state, nothing on disk.
    const row = { ...mirrorOf(record), path: null, localSize: null, localMtimeMs: null, localHash: null };
    ctx.store.putMirror(row);
    return { row, followUps: false };
  }
  const fetched: string[] = [];
  const blobFile = async (sha256: string): Promise<string> => {
    const file = await downloadBlob(ctx.transport, sha256, ctx.downloadsDir, ctx.signal, meterOf(ctx));
    fetched.push(sha256);
    return file;
  };
  try {
    const page = options.page;
    const result = await adapter.apply(record, mirror, ctx.library, blobFile, page ? { batch: page.batch } : {});
    const row: MirrorItem = { ...mirrorOf(record), path: result.path, localSize: result.localSize, localMtimeMs: result.localMtimeMs, localHash: result.localHash };
    if (result.staged && page) {
      page.stage(row, options.keys ?? [record.id]);
      return { row, followUps: false };
    }
    ctx.store.tx(() => {
      ctx.store.putMirror(row);
      enqueueChanges(ctx, result.followUps, { id: record.id, version: record.version });
    });
    return { row, followUps: result.followUps.length > 0 };
  } finally {
    // A staged copy was made already: the downloaded blob is not needed any more.
    await Promise.all(fetched.map((sha) => rm(join(ctx.downloadsDir, sha), { force: true })));
  }
}

const mirrorOf = (record: NimbusRecord) => ({
  zone: record.zone,
  id: record.id,
  version: record.version,
  deleted: record.deleted,
  data: record.data,
  blobs: record.blobs,
});
