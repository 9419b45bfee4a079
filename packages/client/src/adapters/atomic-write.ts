// Atomic file writes: a temp file in the same folder, fsync, rename — a crash never leaves a half file.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temp files start with this; scans ignore them. */
export const TEMP_PREFIX = '.nimbus-tmp-';

export interface WrittenFile {
  readonly size: number;
  /** Whole milliseconds, as the mirror keeps them. */
  readonly mtimeMs: number;
}

export interface AtomicWriteOptions {
  /** Set the file's mtime to this (ms) before it appears under its name. */
  readonly mtimeMs?: number;
  /** Fail with EEXIST instead of replacing an existing file. */
  readonly noReplace?: boolean;
}

export const tempPathFor = (file: string): string => join(dirname(file), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${basename(file).slice(0, 40)}`);

/** Makes the rename itself durable; some file systems refuse to fsync a directory, which is fine. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // EINVAL/EISDIR on some platforms: nothing more to do.
  } finally {
    await handle.close();
  }
}

async function finish(temp: string, file: string, options: AtomicWriteOptions): Promise<WrittenFile> {
  if (options.mtimeMs !== undefined) await utimes(temp, new Date(), new Date(options.mtimeMs));
  if (options.noReplace) {
    // link() refuses an existing target: the only race-free "rename unless taken".
    await link(temp, file);
    await unlink(temp);
  } else {
    await rename(temp, file);
  }
  await syncDir(dirname(file));
  const s = await stat(file);
  return { size: s.size, mtimeMs: Math.round(s.mtimeMs) };
}

/** Runs `fill` on a fresh temp file next to `file`, then puts it in place; the temp file never outlives a failure. */
async function viaTemp(file: string, options: AtomicWriteOptions, fill: (temp: string) => Promise<void>): Promise<WrittenFile> {
  await mkdir(dirname(file), { recursive: true });
  const temp = tempPathFor(file);
  try {
    await fill(temp);
    return await finish(temp, file, options);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error; // ENOSPC and friends go to the classifier unchanged
  }
}

/** Writes `content` to `file` atomically (folders created as needed). */
export async function writeFileAtomic(file: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<WrittenFile> {
  return viaTemp(file, options, async (temp) => {
    const handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/** Copies `source` (e.g. a downloaded blob) to `file` atomically. */
export async function copyFileAtomic(source: string, file: string, options: AtomicWriteOptions = {}): Promise<WrittenFile> {
  return viaTemp(file, options, async (temp) => {
    await copyFile(source, temp, constants.COPYFILE_EXCL);
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}
