// The filesystem blob store adapter: each blob is a file under the root, moved in by rename from staging.
import { NimbusError } from '@nimbus/protocol';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { assertValidKey, IO_CHUNK_BYTES } from './blob-key.js';
import type { BlobStore, ByteRange } from './blob-store.js';

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
