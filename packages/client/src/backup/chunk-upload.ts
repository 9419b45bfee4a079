// Sends a backup's new chunks: batches of a pack's size, asked about first (the account may hold them already), four in flight.
import { LIMITS, type BlobPackEntry } from '@nimbus/protocol';
import type { ApiClient } from '../api-client.js';
import { CHECK_HASHES } from '../sync/blob-transfer.js';

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

/** A pack being filled: one reused buffer, the chunks laid end to end in it. */
interface PackBuffer {
  bytes: Buffer;
  used: number;
  chunks: { sha256: string; start: number; length: number }[];
}

/**
 * Takes every chunk of the backup in order and makes sure the server has it. A chunk met twice in one run is
 * sent once. Chunks are copied into reused pack buffers (the caller's bytes may be a reused window; fresh
 * memory costs page faults), so the whole upload holds at most IN_FLIGHT + 1 packs. Errors surface on the next
 * add() or on finish().
 */
export class ChunkUploader {
  readonly counts: UploadCounts = { sentChunks: 0, sentBytes: 0, presentChunks: 0, presentBytes: 0 };
  readonly #transport: ChunkTransport;
  readonly #signal: AbortSignal | undefined;
  readonly #onSent: (bytes: number) => void;
  readonly #seen = new Set<string>();
  readonly #free: PackBuffer[] = [];
  #made = 0;
  #current: PackBuffer | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(transport: ChunkTransport, options: { signal?: AbortSignal | undefined; onSent?: (bytes: number) => void } = {}) {
    this.#transport = transport;
    this.#signal = options.signal;
    this.#onSent = options.onSent ?? (() => undefined);
  }

  /** Forgets that chunks were met this run (a retry after the server reported some missing). */
  forget(shas: Iterable<string>): void {
    for (const sha of shas) this.#seen.delete(sha);
  }

  async add(sha256: string, bytes: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    if (this.#seen.has(sha256)) return;
    this.#seen.add(sha256);
    let pack = this.#current;
    if (pack && (pack.used + bytes.length > pack.bytes.length || pack.chunks.length >= BATCH_BLOBS)) {
      await this.#flush();
      pack = undefined;
    }
    pack ??= this.#current = await this.#take();
    pack.bytes.set(bytes, pack.used);
    pack.chunks.push({ sha256, start: pack.used, length: bytes.length });
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
        return { bytes: Buffer.allocUnsafe(LIMITS.blobPackMaxBytes), used: 0, chunks: [] };
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
    const answer = await this.#transport.checkBlobs(pack.chunks.map((c) => c.sha256), this.#signal);
    const missing = new Set(answer.missing);
    const send = pack.chunks.filter((c) => missing.has(c.sha256));
    for (const chunk of pack.chunks) {
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
