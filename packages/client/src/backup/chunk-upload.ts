// Sends a backup's new chunks: batches of a pack's size, asked about first (the account may hold them already), four in flight.
import { LIMITS, type BlobPackEntry } from '@nimbus/protocol';
import type { ApiClient } from '../api-client.js';
import { CHECK_HASHES } from '../sync/blob-transfer.js';
import { InlineHasher, packBuffer, type ChunkHasher } from './chunk-hasher.js';

export type ChunkTransport = Pick<ApiClient, 'checkBlobs' | 'sendBlobPack'>;

/** Batches in flight: the server's part of each (receive, hash, write and fsync one object) is mostly waiting on the disk, so a few overlap. */
const IN_FLIGHT = 4;
const BATCH_BLOBS = Math.min(CHECK_HASHES, LIMITS.blobPackMaxBlobs);

export interface UploadCounts {
  /** Chunks (and their bytes) the server did not have: sent. */
  sentChunks: number;
  sentBytes: number;
  /** Chunks it had already (another backup, another file, a synced file with the same bytes). */
  presentChunks: number;
  presentBytes: number;
}

/** A chunk in a pack: its hash is being worked out (the hasher reads it in the pack) or was given by the caller. */
interface PackChunk {
  sha256: Promise<string>;
  /** Given with its hash by add(): already checked against the run's other chunks. */
  known: boolean;
  start: number;
  length: number;
}

/** A pack being filled: one reused buffer, the chunks laid end to end in it. */
interface PackBuffer {
  bytes: Buffer;
  used: number;
  chunks: PackChunk[];
}

/**
 * Takes every chunk of the backup in order and makes sure the server has it. A chunk met twice in one run is
 * sent once. Chunks are copied into reused pack buffers (the caller's bytes may be a reused window; fresh
 * memory costs page faults), so the whole upload holds at most IN_FLIGHT + 1 packs. addChunk() hashes a chunk
 * where it lies in its pack (on the hasher's thread); a pack is checked and sent once its chunks are hashed.
 * Errors surface on the next add or on finish().
 */
export class ChunkUploader {
  readonly counts: UploadCounts = { sentChunks: 0, sentBytes: 0, presentChunks: 0, presentBytes: 0 };
  readonly #transport: ChunkTransport;
  readonly #signal: AbortSignal | undefined;
  readonly #onSent: (bytes: number) => void;
  readonly #hasher: ChunkHasher;
  readonly #seen = new Set<string>();
  readonly #free: PackBuffer[] = [];
  #made = 0;
  #current: PackBuffer | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(transport: ChunkTransport, options: { signal?: AbortSignal | undefined; onSent?: (bytes: number) => void; hasher?: ChunkHasher } = {}) {
    this.#transport = transport;
    this.#signal = options.signal;
    this.#onSent = options.onSent ?? (() => undefined);
    this.#hasher = options.hasher ?? new InlineHasher();
  }

  /** Forgets that chunks were met this run (a retry after the server reported some missing). */
  forget(shas: Iterable<string>): void {
    for (const sha of shas) this.#seen.delete(sha);
  }

  /** A chunk whose hash the caller knows (a manifest piece). */
  async add(sha256: string, bytes: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    if (this.#seen.has(sha256)) return;
    this.#seen.add(sha256);
    const pack = await this.#room(bytes.length);
    pack.chunks.push({ sha256: Promise.resolve(sha256), known: true, start: pack.used, length: bytes.length });
    this.#copy(pack, bytes);
  }

  /**
   * Copies a chunk into the pack being filled (the caller may reuse `bytes` at once) and starts hashing it there.
   * Resolves once it is copied, with its SHA-256 to come; a chunk met before in this run is not sent again.
   */
  async addChunk(bytes: Uint8Array): Promise<{ sha256: Promise<string> }> {
    this.#throwIfFailed();
    const pack = await this.#room(bytes.length);
    const start = pack.used;
    this.#copy(pack, bytes);
    const sha256 = this.#hasher.hash(pack.bytes, start, bytes.length);
    // Awaited by the pack's send and by the caller; a failure must not count as unhandled before then.
    sha256.catch(() => undefined);
    pack.chunks.push({ sha256, known: false, start, length: bytes.length });
    return { sha256 };
  }

  /** The pack being filled, flushed first when `length` more bytes would not fit. */
  async #room(length: number): Promise<PackBuffer> {
    const pack = this.#current;
    if (pack && pack.used + length <= pack.bytes.length && pack.chunks.length < BATCH_BLOBS) return pack;
    if (pack) await this.#flush();
    return (this.#current = await this.#take());
  }

  #copy(pack: PackBuffer, bytes: Uint8Array): void {
    pack.bytes.set(bytes, pack.used);
    pack.used += bytes.length;
  }

  async finish(): Promise<UploadCounts> {
    await this.#flush();
    await Promise.all(this.#inFlight);
    this.#throwIfFailed();
    return this.counts;
  }

  /** A free pack buffer; waits for a pack in flight to finish when all are taken. */
  async #take(): Promise<PackBuffer> {
    for (;;) {
      const free = this.#free.pop();
      if (free) return free;
      if (this.#made < IN_FLIGHT + 1) {
        this.#made++;
        return { bytes: packBuffer(this.#hasher, LIMITS.blobPackMaxBytes), used: 0, chunks: [] };
      }
      await Promise.race(this.#inFlight);
      this.#throwIfFailed();
    }
  }

  async #flush(): Promise<void> {
    const pack = this.#current;
    this.#current = undefined;
    if (!pack || pack.chunks.length === 0) {
      if (pack) this.#free.push(pack);
      return;
    }
    while (this.#inFlight.size >= IN_FLIGHT) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
    const task: Promise<void> = this.#send(pack)
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => {
        pack.used = 0;
        pack.chunks = [];
        this.#free.push(pack);
        this.#inFlight.delete(task);
      });
    this.#inFlight.add(task);
  }

  async #send(pack: PackBuffer): Promise<void> {
    const hashes = await Promise.all(pack.chunks.map((c) => c.sha256));
    const chunks: { sha256: string; start: number; length: number }[] = [];
    pack.chunks.forEach((chunk, index) => {
      const sha256 = hashes[index]!;
      if (!chunk.known) {
        // Met before in this run (in this pack or another): sent, or being sent, once.
        if (this.#seen.has(sha256)) return;
        this.#seen.add(sha256);
      }
      chunks.push({ sha256, start: chunk.start, length: chunk.length });
    });
    if (chunks.length === 0) return;
    const answer = await this.#transport.checkBlobs(chunks.map((c) => c.sha256), this.#signal);
    const missing = new Set(answer.missing);
    const send = chunks.filter((c) => missing.has(c.sha256));
    for (const chunk of chunks) {
      if (missing.has(chunk.sha256)) continue;
      this.counts.presentChunks++;
      this.counts.presentBytes += chunk.length;
    }
    if (send.length === 0) return;
    const entries: BlobPackEntry[] = send.map((c) => ({ sha256: c.sha256, size: c.length, zone: 'backups' }));
    await this.#transport.sendBlobPack(entries, send.map((c) => pack.bytes.subarray(c.start, c.start + c.length)), this.#signal);
    const bytes = entries.reduce((sum, e) => sum + e.size, 0);
    this.counts.sentChunks += send.length;
    this.counts.sentBytes += bytes;
    this.#onSent(bytes);
  }

  #throwIfFailed(): void {
    // Rethrown as it came: a NimbusError or TransportError keeps its kind for the caller.
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}
