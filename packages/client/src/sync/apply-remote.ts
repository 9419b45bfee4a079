// Bringing one server record onto disk through its adapter, then into the mirror (with any follow-ups).
import type { NimbusRecord } from '@nimbus/protocol';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MirrorItem } from '../adapters/adapter.js';
import { WriteBatch } from '../adapters/write-batch.js';
import { StagedMirror } from '../store/staged-mirror.js';
import { downloadBlob, meterOf } from './blob-transfer.js';
import { enqueueChanges, type PassContext } from './pass-context.js';

/** A staged write: the row to mirror once placed, and for a new file its record (applied again if the name is taken). */
interface StagedWrite {
  readonly row: MirrorItem;
  readonly record: NimbusRecord;
  readonly created: string | undefined;
}

/** Applies records again one by one, without a batch; false when the pull has to stop (a full disk). */
export type Reapply = (records: readonly NimbusRecord[]) => Promise<boolean>;

/**
 * A feed page's plain file writes, made durable together. `place()` fsyncs the temp files of replacements, journals
 * what is about to appear (their rows; the new files' paths and hashes), renames the temps into place, writes the new
 * files straight under their names, syncs once, then mirrors them (and saves whatever `andThen` adds, e.g. the
 * page's token) in one transaction.
 */
export class PageWrites {
  readonly batch: WriteBatch;
  readonly #staged: StagedWrite[] = [];
  /** Ids and lower-cased paths of staged records: a record touching one waits until they are placed. */
  readonly keys = new Set<string>();
  readonly #journal: StagedMirror;

  /** `checkedDirs`: folders already found inside the library by earlier pages of this pull. */
  constructor(
    private readonly ctx: Pick<PassContext, 'store'>,
    private readonly reapply: Reapply = () => Promise.resolve(true),
    checkedDirs?: Set<string>,
  ) {
    this.#journal = new StagedMirror(ctx.store);
    this.batch = new WriteBatch(checkedDirs);
  }

  get staged(): number {
    return this.#staged.length;
  }

  stage(row: MirrorItem, keys: readonly string[], record: NimbusRecord, created?: string): void {
    this.#staged.push({ row, record, created });
    for (const key of keys) this.keys.add(key);
  }

  /**
   * Returns false when a record that had to be applied again stopped the pull (then `andThen` did not run).
   * The closing transaction (rows, journal cleared, `andThen`) skips its fsync unless `durable`: the files are on
   * disk by then and the journal naming them is, so a power cut that loses it only brings the page again.
   * `after`: the previous page's place(), still running; this page's files are written meanwhile, and its
   * transaction waits for it (pages commit in feed order). If it fails or stops, this page is discarded.
   */
  async place(andThen?: () => void, { durable = false, after }: { durable?: boolean; after?: Promise<boolean> } = {}): Promise<boolean> {
    const staged = this.#staged.splice(0);
    this.keys.clear();
    const replaced = staged.filter((s) => s.created === undefined).map((s) => s.row);
    let fresh = staged.filter((s) => s.created !== undefined);
    const refused: StagedWrite[] = [];
    let newBatch: number | undefined;
    if (staged.length > 0) {
      try {
        await this.batch.syncTemps();
        this.ctx.store.durableTx(() => {
          this.#journal.journalRows(replaced);
          if (fresh.length > 0) newBatch = this.#journal.journalNew(fresh.map((s) => [s.row.path as string, s.row.localSize as number, s.row.localHash as string]));
        });
        await this.batch.rename();
        const created = await this.batch.createAll();
        for (const s of fresh) {
          const written = created.get(s.created as string);
          if (written) s.row.localMtimeMs = written.mtimeMs;
          else refused.push(s);
        }
        if (refused.length > 0) {
          // Taken meanwhile: not ours, so the journal must not name them (a recovery would remove them).
          fresh = fresh.filter((s) => !refused.includes(s));
          this.ctx.store.durableTx(() => {
            if (newBatch !== undefined) this.#journal.forgetNew(newBatch);
            newBatch = this.#journal.journalNew(fresh.map((s) => [s.row.path as string, s.row.localSize as number, s.row.localHash as string]));
          });
        }
        await this.batch.syncCreated();
      } catch (error) {
        await this.#abandon(newBatch);
        throw error;
      }
    }
    if (after) {
      let previousPlaced: boolean;
      try {
        previousPlaced = await after;
      } catch (error) {
        await this.#abandon(newBatch);
        throw error;
      }
      if (!previousPlaced) {
        await this.#abandon(newBatch);
        return false;
      }
    }
    if (staged.length > 0 || andThen) {
      this.#commit(durable, () => {
        this.#journal.settle([...replaced, ...fresh.map((s) => s.row)], replaced, newBatch);
        if (refused.length === 0) andThen?.();
      });
      this.batch.keepCreated();
    }
    if (refused.length === 0) return true;
    if (!(await this.reapply(refused.map((s) => s.record)))) return false;
    if (andThen) this.#commit(durable, andThen);
    return true;
  }

  /** This page's new files removed and forgotten (replacements already renamed stay journaled: the next pass mirrors them). */
  async #abandon(newBatch: number | undefined): Promise<void> {
    await this.batch.discard();
    if (newBatch !== undefined) this.#journal.forgetNew(newBatch);
  }

  #commit(durable: boolean, fn: () => void): void {
    const { store } = this.ctx;
    if (durable) store.durableTx(fn);
    else store.relaxedTx(fn);
  }

  /** A failed page: no temp or new file stays, no row is mirrored. */
  async discard(): Promise<void> {
    this.#staged.length = 0;
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
    const pathOwner = (path: string): string | undefined => ctx.store.mirrorOwnerOf(record.zone, path, record.id);
    const adopt = ctx.adopting?.has(record.zone) ?? false;
    const result = await adapter.apply(record, mirror, ctx.library, blobFile, page ? { batch: page.batch, pathOwner, adopt } : { pathOwner, adopt });
    const row: MirrorItem = { ...mirrorOf(record), path: result.path, localSize: result.localSize, localMtimeMs: result.localMtimeMs, localHash: result.localHash };
    if (result.staged && page) {
      page.stage(row, options.keys ?? [record.id], record, result.created);
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
