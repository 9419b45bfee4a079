// Many file writes made durable together: replacements go through temp files (one parallel fsync round, the renames,
// one fsync per touched folder); new files are written straight under their names, journaled by the caller first.
import { closeSync, renameSync, constants, fstatSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, open, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDir, tempPathFor, type AtomicWriteOptions, type WrittenFile } from './atomic-write.js';
import { CreateError, createPool, type CreateResult } from './create-pool.js';
import { syncFileSystemOf } from './fs-sync-group.js';

interface Staged {
  readonly temp: string;
  readonly file: string;
}

/** What `createAll()` did with one new file: its stat, or `null` when the name was taken meanwhile (EEXIST). */
export type Created = CreateResult;

const CREATE_FLAGS = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY;

/** From this many new files in a batch, a worker thread creates them (see create-pool). */
const POOL_FROM = 256;

/** fsyncs in flight at once (they run on libuv's threadpool; more only queue). */
const SYNC_PARALLEL = 16;
/** From this many files, one file-system sync beats an fsync each. */
const SYNCFS_FROM = 32;

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(runners);
}

/**
 * Collects a page's file writes. `write`/`copy` fill a temp file beside the target and return what the file will
 * be (size, mtime: a rename keeps both); `place()` makes the temps durable, renames them into place and syncs the
 * folders. Until `place()`, nothing appears under a real name. `discard()` removes every temp (a failed page).
 */
export class WriteBatch {
  readonly #staged = new Map<string, Staged>();
  /** New files waiting for `createAll()`: file → content. */
  readonly #fresh = new Map<string, string>();
  /** New files `createAll()` made and `discard()` would remove. */
  readonly #createdFiles: string[] = [];
  /** Folders made (or found) during this batch: one mkdir per folder, not per file. */
  readonly #made = new Set<string>();
  /**
   * @param checkedDirs folders found really inside the library (adapters' link check, once per folder): this
   * batch's own, or shared by the pages of one pull.
   */
  constructor(readonly checkedDirs = new Set<string>()) {}

  get size(): number {
    return this.#staged.size + this.#fresh.size;
  }

  /** A write to `file` waits in this batch (a later name check must treat it as taken). */
  holds(file: string): boolean {
    return this.#staged.has(file) || this.#fresh.has(file);
  }

  /**
   * A file that should not exist yet: nothing is written now. `createAll()` writes it straight under its name
   * (no temp file, no rename), refusing to replace anything. Returns its size in bytes.
   */
  create(file: string, content: string): number {
    this.#check(file, {});
    this.#fresh.set(file, content);
    return Buffer.byteLength(content);
  }

  /**
   * Writes the new files (folders made once each): inline for a few, on a worker thread for many.
   * The caller journals them first: a crash can leave a file here half written. A name taken meanwhile is left
   * alone and answered with `null`. Throws on any other error (the files made so far stay until `discard()`).
   */
  async createAll(): Promise<Map<string, Created>> {
    const fresh = [...this.#fresh];
    this.#fresh.clear();
    const out = new Map<string, Created>();
    if (fresh.length < POOL_FROM) {
      for (const [file, content] of fresh) {
        const dir = dirname(file);
        if (!this.#made.has(dir)) {
          mkdirSync(dir, { recursive: true });
          this.#made.add(dir);
        }
        out.set(file, this.#createOne(file, content));
      }
      return out;
    }
    let results: Created[];
    try {
      results = await createPool().createAll(fresh);
    } catch (error) {
      if (error instanceof CreateError) {
        this.#createdFiles.push(...error.made);
        throw error.cause;
      }
      throw error;
    }
    fresh.forEach(([file], k) => {
      const result = results[k] ?? null;
      if (result) this.#createdFiles.push(file);
      out.set(file, result);
    });
    return out;
  }

  /** One new file through one handle: its stat, or null when the name is taken. */
  #createOne(file: string, content: string): Created {
    let fd: number;
    try {
      fd = openSync(file, CREATE_FLAGS, 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return null;
    }
    this.#createdFiles.push(file);
    try {
      writeFileSync(fd, content);
      const s = fstatSync(fd);
      return { size: s.size, mtimeMs: Math.round(s.mtimeMs) };
    } finally {
      closeSync(fd);
    }
  }

  async write(file: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<WrittenFile> {
    if (options.mtimeMs !== undefined) return this.#stage(file, options, (temp) => writeFile(temp, content, { flag: 'wx', mode: 0o644 }));
    // The common case in three calls: create, write, stat through one handle.
    this.#check(file, options);
    await this.#mkdir(dirname(file));
    const temp = tempPathFor(file);
    try {
      // Synchronous calls: a small file costs four system calls, less than the thread-pool round trips of async ones.
      const fd = openSync(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
      try {
        writeFileSync(fd, content);
        const s = fstatSync(fd);
        this.#staged.set(file, { temp, file });
        return { size: s.size, mtimeMs: Math.round(s.mtimeMs) };
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      this.#staged.delete(file);
      await rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  #check(file: string, options: AtomicWriteOptions): void {
    if (options.noReplace) throw new Error('a batched write always replaces');
    if (this.#staged.has(file)) throw new Error(`${file} is written twice in one batch`);
  }

  async #mkdir(dir: string): Promise<void> {
    if (this.#made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.#made.add(dir);
  }

  async copy(source: string, file: string, options: AtomicWriteOptions = {}): Promise<WrittenFile> {
    return this.#stage(file, options, (temp) => copyFile(source, temp, constants.COPYFILE_EXCL));
  }

  async #stage(file: string, options: AtomicWriteOptions, fill: (temp: string) => Promise<void>): Promise<WrittenFile> {
    this.#check(file, options);
    await this.#mkdir(dirname(file));
    const temp = tempPathFor(file);
    try {
      await fill(temp);
      if (options.mtimeMs !== undefined) await utimes(temp, new Date(), new Date(options.mtimeMs));
      const handle = await open(temp, 'r');
      try {
        const s = await handle.stat();
        this.#staged.set(file, { temp, file });
        return { size: s.size, mtimeMs: Math.round(s.mtimeMs) };
      } finally {
        await handle.close();
      }
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Step 1 of placing: every temp file's bytes on disk. Many files: one syncfs(2) of their file system (`sync -f`,
   * Linux), which costs what one fsync does; else (or if that fails) an fsync per file, in parallel.
   */
  async syncTemps(): Promise<void> {
    const staged = [...this.#staged.values()];
    if (staged.length === 0) return;
    if (staged.length >= SYNCFS_FROM && (await syncFileSystemOf((staged[0] as Staged).temp))) return;
    await inParallel(staged, SYNC_PARALLEL, async ({ temp }) => {
      const handle = await open(temp, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  /** Step 2: the renames, then one fsync per folder so the names are durable. Empties the batch. */
  async rename(): Promise<void> {
    const staged = [...this.#staged.values()];
    const dirs = new Set<string>();
    try {
      for (const { temp, file } of staged) {
        renameSync(temp, file);
        this.#staged.delete(file);
        dirs.add(dirname(file));
      }
    } finally {
      await inParallel([...dirs], SYNC_PARALLEL, syncDir);
    }
  }

  /** The new files' bytes and names on disk: one syncfs(2) for many, else an fsync per file and per folder. */
  async syncCreated(): Promise<void> {
    const files = this.#createdFiles;
    if (files.length === 0) return;
    if (files.length >= SYNCFS_FROM && (await syncFileSystemOf(files[0] as string))) return;
    await inParallel(files, SYNC_PARALLEL, async (file) => {
      const handle = await open(file, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
    await inParallel([...new Set(files.map((f) => dirname(f)))], SYNC_PARALLEL, syncDir);
  }

  /** The new files are mirrored now: `discard()` leaves them. */
  keepCreated(): void {
    this.#createdFiles.length = 0;
  }

  /** syncTemps + rename. */
  async place(): Promise<void> {
    await this.syncTemps();
    await this.rename();
  }

  /** Removes every temp file not yet placed, and every new file made but not kept. */
  async discard(): Promise<void> {
    const doomed = [...[...this.#staged.values()].map((s) => s.temp), ...this.#createdFiles];
    this.#staged.clear();
    this.#fresh.clear();
    this.#createdFiles.length = 0;
    await Promise.all(doomed.map((file) => rm(file, { force: true }).catch(() => undefined)));
  }
}
