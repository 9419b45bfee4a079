// The body of POST /v1/blobs/pack, read into reused buffers: a fresh 8 MiB buffer per request cost page faults on
// first touch (see ARCHITECTURE.md's note on fresh memory) and garbage collections, on the path of every backup.
import { NimbusError } from '@nimbus/protocol';
import type { Readable } from 'node:stream';

/**
 * Buffers of one size handed out and given back: at most `keep` are held between requests, and none once the
 * pool has not been used for `idleMs` (a server between backups holds no pack memory).
 */
export class BodyBufferPool {
  #free: Buffer[] = [];
  #lastUse = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly size: number,
    readonly keep: number,
    readonly idleMs = 30_000,
  ) {}

  /** Buffers held for the next requests (tests). */
  get held(): number {
    return this.#free.length;
  }

  take(): Buffer {
    this.#lastUse = Date.now();
    // Its own ArrayBuffer, never a slice of Node's shared pool: give() finds it again from a view.
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Gives back the buffer behind a view `take()` handed out; nothing may use the view afterwards. */
  give(view: Uint8Array): void {
    this.#lastUse = Date.now();
    if (view.buffer.byteLength !== this.size || this.#free.length >= this.keep) return;
    this.#free.push(Buffer.from(view.buffer, 0, this.size));
    if (this.#timer === undefined) this.#timer = setTimeout(() => this.#dropWhenIdle(), this.idleMs).unref();
  }

  #dropWhenIdle(): void {
    this.#timer = undefined;
    const idle = Date.now() - this.#lastUse;
    if (idle >= this.idleMs) this.#free = [];
    else this.#timer = setTimeout(() => this.#dropWhenIdle(), this.idleMs - idle).unref();
  }
}

/**
 * Reads the whole stream into a buffer of the pool and returns the view of the bytes read. More than the pool's
 * size is PAYLOAD_TOO_LARGE (announced by Content-Length, or found while reading). On any failure the buffer goes
 * back to the pool.
 */
export async function readBody(stream: Readable, declaredLength: number | undefined, pool: BodyBufferPool): Promise<Buffer> {
  const tooLarge = (): NimbusError => new NimbusError('PAYLOAD_TOO_LARGE', `a pack body is at most ${pool.size} bytes`, { limit: pool.size });
  if (declaredLength !== undefined && declaredLength > pool.size) {
    stream.resume();
    throw tooLarge();
  }
  const buffer = pool.take();
  let used = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (used + chunk.length > pool.size) throw tooLarge();
      chunk.copy(buffer, used);
      used += chunk.length;
    }
  } catch (error) {
    pool.give(buffer);
    throw error;
  }
  return buffer.subarray(0, used);
}
