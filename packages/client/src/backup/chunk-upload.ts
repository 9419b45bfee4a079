// Sends a backup's new chunks: batches of a pack's size, asked about first (the account may hold them already), two in flight.
import { LIMITS, type BlobPackEntry } from '@nimbus/protocol';
import type { ApiClient } from '../api-client.js';
import { CHECK_HASHES } from '../sync/blob-transfer.js';

export type ChunkTransport = Pick<ApiClient, 'checkBlobs' | 'uploadBlobPack'>;

/** Batches in flight: one being stored by the server while the next is checked and sent. */
const IN_FLIGHT = 2;
const BATCH_BLOBS = Math.min(CHECK_HASHES, LIMITS.blobPackMaxBlobs);

export interface UploadCounts {
  /** Chunks (and their bytes) the server did not have: sent. */
  sentChunks: number;
  sentBytes: number;
  /** Chunks it had already (another backup, another file, a synced file with the same bytes). */
  presentChunks: number;
  presentBytes: number;
}

/**
 * Takes every chunk of the backup in order and makes sure the server has it. A chunk met twice in one run is
 * sent once. Errors surface on the next add() or on finish().
 */
export class ChunkUploader {
  readonly counts: UploadCounts = { sentChunks: 0, sentBytes: 0, presentChunks: 0, presentBytes: 0 };
  readonly #transport: ChunkTransport;
  readonly #signal: AbortSignal | undefined;
  readonly #onSent: (bytes: number) => void;
  readonly #seen = new Set<string>();
  #batch: { sha256: string; bytes: Uint8Array }[] = [];
  #batchBytes = 0;
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
    if (this.#batchBytes + bytes.length > LIMITS.blobPackMaxBytes || this.#batch.length >= BATCH_BLOBS) await this.#flush();
    this.#batch.push({ sha256, bytes });
    this.#batchBytes += bytes.length;
  }

  async finish(): Promise<UploadCounts> {
    await this.#flush();
    await Promise.all(this.#inFlight);
    this.#throwIfFailed();
    return this.counts;
  }

  async #flush(): Promise<void> {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    while (this.#inFlight.size >= IN_FLIGHT) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
    const task: Promise<void> = this.#send(batch)
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  async #send(batch: { sha256: string; bytes: Uint8Array }[]): Promise<void> {
    const answer = await this.#transport.checkBlobs(batch.map((c) => c.sha256), this.#signal);
    const missing = new Set(answer.missing);
    const send = batch.filter((c) => missing.has(c.sha256));
    for (const chunk of batch) {
      if (missing.has(chunk.sha256)) continue;
      this.counts.presentChunks++;
      this.counts.presentBytes += chunk.bytes.length;
    }
    if (send.length === 0) return;
    const entries: BlobPackEntry[] = send.map((c) => ({ sha256: c.sha256, size: c.bytes.length, zone: 'backups' }));
    await this.#transport.uploadBlobPack(entries, send.map((c) => c.bytes), this.#signal);
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
