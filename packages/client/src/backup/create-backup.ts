// `nimbus backup create`: scan, chunk what changed, send the chunks the server lacks, commit the manifest.
import type { ManifestEntry, PrunedSnapshot, SnapshotView } from '@nimbus/protocol';
import type { ApiClient } from '../api-client.js';
import { BackupCache } from './backup-cache.js';
import { InlineHasher, WorkerHasher, type ChunkHasher } from './chunk-hasher.js';
import { ChunkUploader, type UploadCounts } from './chunk-upload.js';
import { FastCdc } from './fastcdc.js';
import { ChunkReader } from './file-chunks.js';
import { WHOLE_FILE_MAX_BYTES, WholeFileReader, type WholeFile } from './whole-file.js';
import { encodeManifest } from './manifest-codec.js';
import { reasonOf, scanTree, type BackupRoot, type ScanItem, type Skipped } from './scan-tree.js';

export type BackupTransport = Pick<ApiClient, 'checkBlobs' | 'sendBlobPack' | 'commitSnapshot'>;

export interface BackupProgress {
  phase: 'scan' | 'read' | 'commit';
  /** Files that must be read (new or changed), and of those read so far. */
  filesToRead: number;
  filesRead: number;
  bytesToRead: number;
  bytesRead: number;
  /** Bytes of new chunks sent to the server so far. */
  sentBytes: number;
}

export interface CreateBackupOptions {
  transport: BackupTransport;
  /** The incremental cache file (backupCachePath(home)). */
  cacheFile: string;
  roots: readonly BackupRoot[];
  host: string;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: BackupProgress) => void) | undefined;
  now?: () => number;
}

export interface BackupResult {
  snapshot: SnapshotView;
  /** Unreadable things, listed and left out. */
  skipped: Skipped[];
  files: number;
  /** Files whose size, times and inode were unchanged: not read. */
  filesUnchanged: number;
  bytesRead: number;
  upload: UploadCounts;
  /** Snapshots the retention policy removed after this one. */
  pruned: PrunedSnapshot[];
}

/** Commits that may report missing chunks (gone since the cache saw them) before the backup gives up. */
const ATTEMPTS = 3;

/** Below this much to read, a hashing worker costs more to start than it saves. */
const HASH_WORKER_MIN_BYTES = 16 * 1024 * 1024;

/**
 * Makes one snapshot of `roots`. Nothing is visible until the commit: a run cut short leaves only unreferenced
 * chunks, which the next run finds on the server and does not send again.
 */
export async function createBackup(options: CreateBackupOptions): Promise<BackupResult> {
  const startedAt = (options.now ?? Date.now)();
  const cdc = new FastCdc();
  const reader = new ChunkReader(cdc);
  const whole = new WholeFileReader();
  const cache = new BackupCache(options.cacheFile);
  const progress: BackupProgress = { phase: 'scan', filesToRead: 0, filesRead: 0, bytesToRead: 0, bytesRead: 0, sentBytes: 0 };
  const report = (): void => options.onProgress?.({ ...progress });
  let hasher: ChunkHasher | undefined;
  let uploader: ChunkUploader | undefined;
  /** Files to read whatever the cache says: their chunks were reported missing. */
  const distrust = new Set<string>();
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      report();
      const { items, skipped } = await scanTree(options.roots);
      const cached = new Map<string, string[]>();
      for (const item of items) {
        if (item.type !== 'file' || distrust.has(item.abs)) continue;
        const chunks = cache.lookup(item.abs, item);
        if (chunks) cached.set(item.abs, chunks);
      }
      const toRead = items.filter((item) => item.type === 'file' && !cached.has(item.abs));
      Object.assign(progress, { phase: 'read', filesToRead: toRead.length, filesRead: 0, bytesRead: 0 });
      progress.bytesToRead = toRead.reduce((sum, item) => sum + (item.type === 'file' ? item.size : 0), 0);
      report();
      hasher ??= progress.bytesToRead >= HASH_WORKER_MIN_BYTES ? new WorkerHasher() : new InlineHasher();
      uploader ??= new ChunkUploader(options.transport, {
        signal: options.signal,
        hasher,
        onSent: (bytes) => {
          progress.sentBytes += bytes;
          report();
        },
      });

      const entries: ManifestEntry[] = [];
      /** Files read in this run: their entries get their chunk hashes once the hasher has them. */
      const read: { entry: Extract<ManifestEntry, { type: 'file' }>; item: Extract<ScanItem, { type: 'file' }>; hashes: Promise<string>[] }[] = [];
      const absOf = new Map<string, string>();
      let files = 0;
      for (const item of items) {
        options.signal?.throwIfAborted();
        if (item.type !== 'file') {
          entries.push(entryOf(item));
          continue;
        }
        const cachedChunks = cached.get(item.abs);
        const entry: Extract<ManifestEntry, { type: 'file' }> = { type: 'file', path: item.path, mode: item.mode, mtimeMs: item.mtimeMs, size: item.size, chunks: cachedChunks ?? [] };
        if (!cachedChunks) {
          const onBytes = (bytes: number): void => {
            progress.bytesRead += bytes;
            report();
          };
          const chunked =
            item.size <= WHOLE_FILE_MAX_BYTES
              ? await chunkWholeFile(item, whole.read(item.abs, item.size), cdc, reader, uploader, onBytes)
              : await chunkFile(item, reader, uploader, onBytes);
          progress.filesRead++;
          if ('reason' in chunked) {
            skipped.push({ path: item.abs, reason: chunked.reason });
            continue;
          }
          entry.size = chunked.size;
          read.push({ entry, item, hashes: chunked.hashes });
        }
        files++;
        absOf.set(item.path, item.abs);
        entries.push(entry);
      }
      for (const { entry, item, hashes } of read) {
        entry.chunks = await Promise.all(hashes);
        if (entry.size === item.size) cache.remember(item.abs, item, entry.chunks);
      }
      const filesChanged = read.length;

      progress.phase = 'commit';
      report();
      const pieces = await encodeManifest({ version: 1, roots: options.roots.map((r) => ({ name: r.name, source: r.source })), entries });
      for (const piece of pieces) await uploader.add(piece.sha256, piece.bytes);
      const upload = await uploader.finish();
      const answer = await options.transport.commitSnapshot(
        { manifest: pieces.map((p) => p.sha256), host: options.host, sources: options.roots.map((r) => r.source), startedAt },
        options.signal,
      );
      if (answer.snapshot) {
        return { snapshot: answer.snapshot, skipped, files, filesUnchanged: files - filesChanged, bytesRead: progress.bytesRead, upload, pruned: answer.pruned };
      }
      // Chunks gone from the server since the cache saw them (an old backup deleted): read those files again.
      const missing = new Set(answer.missing);
      uploader.forget(missing);
      for (const entry of entries) {
        if (entry.type === 'file' && entry.chunks.some((sha) => missing.has(sha))) distrust.add(absOf.get(entry.path) ?? entry.path);
      }
    }
    throw new Error(`the server still lacked some chunks after ${ATTEMPTS} attempts; run the backup again`);
  } finally {
    cache.close();
    await hasher?.close();
  }
}

/**
 * Reads, chunks and hands every chunk of one file to the uploader, which hashes it; a file system error is returned
 * as the reason.
 */
async function chunkFile(
  item: Extract<ScanItem, { type: 'file' }>,
  reader: ChunkReader,
  uploader: ChunkUploader,
  onBytes: (bytes: number) => void,
): Promise<{ hashes: Promise<string>[]; size: number } | { reason: string }> {
  const hashes: Promise<string>[] = [];
  let size = 0;
  try {
    for await (const chunk of reader.chunks(item.abs)) {
      hashes.push((await uploader.addChunk(chunk)).sha256);
      size += chunk.length;
      onBytes(chunk.length);
    }
  } catch (error) {
    // A file system error is this file's problem; anything else (the server, the network) stops the backup.
    if (isFileSystemError(error)) return { reason: reasonOf(error) };
    throw error;
  }
  return { hashes, size };
}

/** Chunks a small file read whole (the same cuts as ChunkReader's); one that grew is streamed instead. */
async function chunkWholeFile(
  item: Extract<ScanItem, { type: 'file' }>,
  read: WholeFile,
  cdc: FastCdc,
  reader: ChunkReader,
  uploader: ChunkUploader,
  onBytes: (bytes: number) => void,
): ReturnType<typeof chunkFile> {
  if ('grew' in read) return chunkFile(item, reader, uploader, onBytes);
  if ('error' in read) {
    if (isFileSystemError(read.error)) return { reason: reasonOf(read.error) };
    throw read.error;
  }
  const hashes: Promise<string>[] = [];
  const { bytes } = read;
  for (let start = 0; start < bytes.length; ) {
    const length = cdc.cut(bytes, start, bytes.length);
    // Copied into its pack before addChunk resolves, so the reader's buffer is free for the next file after.
    hashes.push((await uploader.addChunk(bytes.subarray(start, start + length))).sha256);
    start += length;
    onBytes(length);
  }
  return { hashes, size: bytes.length };
}

/** An error of the file system (about this file), as opposed to the server's or the network's. */
function isFileSystemError(error: unknown): boolean {
  return typeof (error as { code?: unknown }).code === 'string' && (error as { syscall?: unknown }).syscall !== undefined;
}

function entryOf(item: Exclude<ScanItem, { type: 'file' }>): ManifestEntry {
  return item.type === 'dir'
    ? { type: 'dir', path: item.path, mode: item.mode, mtimeMs: item.mtimeMs }
    : { type: 'symlink', path: item.path, mtimeMs: item.mtimeMs, target: item.target };
}
