// The filesystem blob store adapter: each blob is a file under the root, moved in by rename from staging.
import { NimbusError } from '@nimbus/protocol';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { assertValidKey, IO_CHUNK_BYTES } from './blob-key.js';
import type { BlobStore, ByteRange, StagedFile } from './blob-store.js';
import { eachLimited } from './each-limited.js';

/** File operations of one putFiles in flight at once (libuv runs 4 at a time; more keeps its queue full). */
const FILES_IN_FLIGHT = 32;

export class FsBlobStore implements BlobStore {
  readonly kind = 'fs' as const;

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<FsBlobStore> {
    await mkdir(root, { recursive: true });
    return new FsBlobStore(root);
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    return join(this.root, key);
  }

  /** fsync the staged bytes, rename them into place (same filesystem: no copy), fsync the directory. */
  async putFile(key: string, stagedPath: string, _size: number): Promise<void> {
    const target = this.pathOf(key);
    await fsyncPath(stagedPath, 'r');
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(stagedPath, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      // Staging on another filesystem (unusual configuration): copy, fsync, then drop the staged file.
      await copyFile(stagedPath, target, constants.COPYFILE_FICLONE);
      await fsyncPath(target, 'r');
      await unlink(stagedPath);
    }
    await fsyncPath(dirname(target), 'r');
  }

  /** fsync every staged file (concurrently: the disk and its journal group them), rename each in, fsync each folder once. */
  async putFiles(files: readonly StagedFile[]): Promise<void> {
    const moves = files.map((file) => ({ file, target: this.pathOf(file.key) }));
    const folders = [...new Set(moves.map((move) => dirname(move.target)))];
    await eachLimited(files, FILES_IN_FLIGHT, (file) => fsyncPath(file.stagedPath, 'r'));
    await Promise.all(folders.map((folder) => mkdir(folder, { recursive: true })));
    await eachLimited(moves, FILES_IN_FLIGHT, async ({ file, target }) => {
      try {
        await rename(file.stagedPath, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
        await this.putFile(file.key, file.stagedPath, file.size);
      }
    });
    await Promise.all(folders.map((folder) => fsyncPath(folder, 'r')));
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NimbusError('NOT_FOUND', 'no such blob');
      throw error;
    }
    return handle.createReadStream({
      highWaterMark: IO_CHUNK_BYTES,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async has(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async close(): Promise<void> {}
}

async function fsyncPath(path: string, flags: string): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
