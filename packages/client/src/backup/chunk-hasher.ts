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
parentPort.on('message', ({ id, memory, offset, length }) => {
  parentPort.postMessage({ id, sha: createHash('sha256').update(new Uint8Array(memory, offset, length)).digest('hex') });
});
`;

/**
 * One worker hashing chunks in the shared pack buffers they were copied into: the backup's SHA-256 (a third of
 * the client's CPU) runs beside reading, cutting and sending instead of between them. The worker only keeps the
 * process alive while a hash is awaited.
 */
export class WorkerHasher implements ChunkHasher {
  readonly shared = true;
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (sha: string) => void; reject: (error: Error) => void }>();
  #next = 0;
  #failure: { error: Error } | undefined;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.unref();
    this.#worker.on('message', ({ id, sha }: { id: number; sha: string }) => {
      const waiter = this.#waiting.get(id);
      this.#waiting.delete(id);
      if (this.#waiting.size === 0) this.#worker.unref();
      waiter?.resolve(sha);
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
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ id, memory: bytes.buffer, offset: bytes.byteOffset + start, length });
    });
  }

  async close(): Promise<void> {
    this.#failure ??= { error: new Error('the hashing worker was closed') };
    await this.#worker.terminate();
  }
}
