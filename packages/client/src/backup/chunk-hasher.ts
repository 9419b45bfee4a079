// SHA-256 of backup chunks, on a worker thread for big backups: the main thread goes on reading and cutting.
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Hashes a range of a buffer the caller leaves untouched until the promise settles. */
export interface ChunkHasher {
  /** Buffers handed to hash() must live in shared memory (see packBuffer). */
  readonly shared: boolean;
  hash(bytes: Buffer, start: number, length: number): Promise<string>;
  close(): Promise<void>;
}

/** A buffer for chunks the hasher can read: shared memory for a worker, reused for the whole backup. */
export function packBuffer(hasher: ChunkHasher, size: number): Buffer {
  return hasher.shared ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafeSlow(size);
}

/** On the calling thread: small backups, where starting a worker would cost more than it saves. */
export class InlineHasher implements ChunkHasher {
  readonly shared = false;

  hash(bytes: Buffer, start: number, length: number): Promise<string> {
    return Promise.resolve(createHash('sha256').update(bytes.subarray(start, start + length)).digest('hex'));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

// Plain CommonJS run with eval: the CLI is bundled into one file, so the worker cannot be a module of its own.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const memories = [];
parentPort.on('message', ({ memory, jobs }) => {
  if (memory) memories.push(memory);
  const hashes = [];
  for (let i = 0; i < jobs.length; i += 4) {
    hashes.push(createHash('sha256').update(new Uint8Array(memories[jobs[i + 1]], jobs[i + 2], jobs[i + 3])).digest('hex'));
  }
  parentPort.postMessage({ first: jobs[0], hashes });
});
`;

/**
 * One worker hashing chunks in the shared pack buffers they were copied into: the backup's SHA-256 (a third of
 * the client's CPU) runs beside reading, cutting and sending instead of between them. Each buffer is shown to the
 * worker once; requests go in batches, one message per turn of the event loop (a message per chunk cost the main
 * thread more than the copy into the pack). The worker only keeps the process alive while a hash is awaited.
 */
export class WorkerHasher implements ChunkHasher {
  readonly shared = true;
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (sha: string) => void; reject: (error: Error) => void }>();
  #next = 0;
  #failure: { error: Error } | undefined;
  /** Shared buffers the worker knows, by their index there. */
  readonly #memories = new Map<SharedArrayBuffer, number>();
  /** Requests not posted yet: [id, memory index, offset, length]… */
  #batch: number[] = [];
  #newMemory: SharedArrayBuffer | undefined;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.unref();
    this.#worker.on('message', ({ first, hashes }: { first: number; hashes: string[] }) => {
      hashes.forEach((sha, index) => {
        const waiter = this.#waiting.get(first + index);
        this.#waiting.delete(first + index);
        waiter?.resolve(sha);
      });
      if (this.#waiting.size === 0) this.#worker.unref();
    });
    const fail = (error: Error): void => {
      this.#failure ??= { error };
      for (const waiter of this.#waiting.values()) waiter.reject(error);
      this.#waiting.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`the hashing worker stopped (exit code ${code})`)));
  }

  hash(bytes: Buffer, start: number, length: number): Promise<string> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    if (!(bytes.buffer instanceof SharedArrayBuffer)) throw new TypeError('the worker reads chunks from shared memory only (packBuffer)');
    const memory = bytes.buffer;
    let index = this.#memories.get(memory);
    if (index === undefined) {
      // A batch names one new buffer at most: post the waiting requests before showing another.
      if (this.#newMemory) this.#post();
      index = this.#memories.size;
      this.#memories.set(memory, index);
      this.#newMemory = memory;
    }
    const id = this.#next++;
    if (this.#batch.length === 0) setImmediate(() => this.#post());
    this.#batch.push(id, index, bytes.byteOffset + start, length);
    return new Promise((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
    });
  }

  #post(): void {
    if (this.#batch.length === 0 && !this.#newMemory) return;
    // Ids of a batch follow each other: the answer names the first.
    this.#worker.postMessage({ memory: this.#newMemory, jobs: this.#batch });
    this.#batch = [];
    this.#newMemory = undefined;
  }

  async close(): Promise<void> {
    this.#failure ??= { error: new Error('the hashing worker was closed') };
    await this.#worker.terminate();
  }
}
