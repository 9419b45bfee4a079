// `nimbus backup restore`: every file byte-exact (each chunk checked by hash), with modes, times and symlinks.
import { NimbusError, type BackupManifest, type ManifestEntry } from '@nimbus/protocol';
import { createHash } from 'node:crypto';
import { chmod, lutimes, mkdir, open, readdir, rename, rm, symlink, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { ApiClient } from '../api-client.js';
import { assertRealInside, relPathProblem, resolveInside } from '../adapters/safe-path.js';
import { reasonOf } from './scan-tree.js';
import { decodeManifest } from './manifest-codec.js';

export type RestoreTransport = Pick<ApiClient, 'getSnapshot' | 'downloadBlob'>;

export interface RestoreProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface RestoreOptions {
  transport: RestoreTransport;
  snapshotId: string;
  dest: string;
  /** Write into a folder that is not empty (files of the backup replace files of the same name). */
  overwrite?: boolean;
  onProgress?: ((progress: RestoreProgress) => void) | undefined;
}

export interface RestoreResult {
  files: number;
  bytes: number;
  dirs: number;
  symlinks: number;
  /** Entries not restored and why (a corrupted chunk, a refused path); the rest was restored. */
  failed: { path: string; reason: string }[];
}

/** Chunks fetched ahead of the one being written. */
const FETCH_AHEAD = 4;
/** Suffix of a file being restored, renamed into place once every chunk checked out. */
const PARTIAL = '.nimbus-restore';

export class RestoreRefused extends Error {
  override readonly name = 'RestoreRefused';
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { transport, dest } = options;
  await assertUsableDest(dest, options.overwrite === true);
  const snapshot = await transport.getSnapshot(options.snapshotId);
  const pieces: Buffer[] = [];
  for (const sha of snapshot.manifest) pieces.push(await fetchChunk(transport, sha));
  const manifest: BackupManifest = await decodeManifest(pieces);
  await mkdir(dest, { recursive: true });

  const result: RestoreResult = { files: 0, bytes: 0, dirs: 0, symlinks: 0, failed: [] };
  const files = manifest.entries.filter((e): e is Extract<ManifestEntry, { type: 'file' }> => e.type === 'file');
  const progress: RestoreProgress = { filesDone: 0, filesTotal: files.length, bytesDone: 0, bytesTotal: files.reduce((sum, f) => sum + f.size, 0) };
  const report = (): void => options.onProgress?.({ ...progress });
  const checked = new Set<string>();
  /** A checked absolute path inside dest, or undefined (the failure is recorded). */
  const target = async (entry: ManifestEntry): Promise<string | undefined> => {
    const problem = relPathProblem(entry.path);
    try {
      if (problem) throw new Error(`refused: ${problem}`);
      const abs = resolveInside(dest, entry.path);
      await assertRealInside(dest, abs, checked);
      return abs;
    } catch (error) {
      result.failed.push({ path: entry.path, reason: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  };

  // Folders first, then files; symlinks last, so no write ever goes through a link the backup brought.
  const dirs: { abs: string; entry: Extract<ManifestEntry, { type: 'dir' }> }[] = [];
  for (const entry of manifest.entries) {
    if (entry.type !== 'dir') continue;
    const abs = await target(entry);
    if (abs === undefined) continue;
    await mkdir(abs, { recursive: true });
    dirs.push({ abs, entry });
  }
  report();
  for (const entry of files) {
    const abs = await target(entry);
    if (abs !== undefined) {
      const failure = await restoreFile(transport, entry, abs, (bytes) => {
        progress.bytesDone += bytes;
        report();
      });
      if (failure) result.failed.push({ path: entry.path, reason: failure });
      else {
        result.files++;
        result.bytes += entry.size;
      }
    }
    progress.filesDone++;
    report();
  }
  for (const entry of manifest.entries) {
    if (entry.type !== 'symlink') continue;
    const abs = await target(entry);
    if (abs === undefined) continue;
    try {
      await rm(abs, { force: true });
      await symlink(entry.target, abs);
      await lutimes(abs, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
      result.symlinks++;
    } catch (error) {
      result.failed.push({ path: entry.path, reason: reasonOf(error) });
    }
  }
  // Folder times last (writing inside a folder changes its mtime), deepest first.
  for (const { abs, entry } of dirs.reverse()) {
    await chmod(abs, entry.mode);
    await utimes(abs, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
    result.dirs++;
  }
  return result;
}

/** Writes the file from its chunks into a partial file, each chunk hash-checked; returns why it failed, if it did. */
async function restoreFile(
  transport: RestoreTransport,
  entry: Extract<ManifestEntry, { type: 'file' }>,
  abs: string,
  onBytes: (bytes: number) => void,
): Promise<string | undefined> {
  const partial = `${abs}${PARTIAL}`;
  try {
    await mkdir(dirname(abs), { recursive: true });
    const handle = await open(partial, 'w', 0o600);
    try {
      const ahead: Promise<Buffer>[] = [];
      let next = 0;
      const fill = (): void => {
        while (ahead.length < FETCH_AHEAD && next < entry.chunks.length) {
          const fetching = fetchChunk(transport, entry.chunks[next++]!);
          fetching.catch(() => undefined); // awaited in order below; a rejection must not go unhandled meanwhile
          ahead.push(fetching);
        }
      };
      fill();
      while (ahead.length > 0) {
        const bytes = await ahead.shift()!;
        fill();
        await handle.write(bytes);
        onBytes(bytes.length);
      }
    } finally {
      await handle.close();
    }
    await chmod(partial, entry.mode);
    await utimes(partial, entry.mtimeMs / 1000, entry.mtimeMs / 1000);
    await rename(partial, abs);
    return undefined;
  } catch (error) {
    await rm(partial, { force: true }).catch(() => undefined);
    // This file's own problem (a corrupted or missing chunk, the disk) is reported; the server going away stops the restore.
    if (error instanceof NimbusError && error.kind === 'UPLOAD_MISMATCH') return error.message;
    if (error instanceof NimbusError && error.kind === 'NOT_FOUND') return 'a chunk of it is missing on the server';
    if ((error as { syscall?: unknown }).syscall !== undefined) return reasonOf(error);
    throw error;
  }
}

/** One chunk's bytes, checked against its hash: a corrupted chunk on the server is named, never written. */
async function fetchChunk(transport: RestoreTransport, sha256: string): Promise<Buffer> {
  const download = await transport.downloadBlob(sha256);
  const bytes = await collect(download.body);
  if (createHash('sha256').update(bytes).digest('hex') !== sha256) {
    throw new NimbusError('UPLOAD_MISMATCH', `chunk ${sha256.slice(0, 12)}… is corrupted on the server (its bytes do not match its hash)`);
  }
  return bytes;
}

async function collect(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** A destination must be missing or empty, unless the user said --overwrite. */
async function assertUsableDest(dest: string, overwrite: boolean): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dest);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new RestoreRefused(`${dest} is a file, not a folder`);
    throw error;
  }
  if (names.length > 0 && !overwrite) {
    throw new RestoreRefused(`${dest} is not empty: restore into an empty folder, or add --overwrite to replace what is there`);
  }
}
