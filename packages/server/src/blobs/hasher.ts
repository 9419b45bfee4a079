// SHA-256 of upload bytes on a worker thread, so hashing runs beside the socket and disk work.
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { IO_CHUNK_BYTES } from './blob-key.js';

// Plain CommonJS evaluated in the worker: no file to resolve from src/ (tests) or dist/.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'update') {
    let h = hashes.get(m.key);
    if (!h) hashes.set(m.key, (h = createHash('sha256')));
    h.update(new Uint8Array(m.data));
    parentPort.postMessage({ type: 'ack', bytes: m.data.byteLength });
  } else if (m.type === 'digest') {
    const h = hashes.get(m.key) || createHash('sha256');
    hashes.delete(m.key);
    parentPort.postMessage({ type: 'digest', seq: m.seq, digest: h.digest('hex') });
  } else if (m.type === 'drop') {
    hashes.delete(m.key);
  }
});`;

/** Bytes posted to the worker and not yet hashed, above which writers wait (bounded memory). */
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

type WorkerMessage = { type: 'ack'; bytes: number } | { type: 'digest'; seq: number; digest: string };

/**
 * One running hash per key, computed on a shared, unref'd worker thread. Bytes are copied in
 * batches of about 1 MiB (one memcpy, then the batch is transferred without another copy).
 * If the worker fails, digests reject and callers hash from disk instead.
 */
export class OffThreadHasher {
  private worker: Worker | undefined;
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;
  /** Bumped when a worker dies: running hashes of older generations lost bytes. */
  private generation = 0;
  private seq = 0;
  private backlog = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly digests = new Map<number, { resolve: (digest: string) => void; reject: (error: Error) => void }>();
  private readonly batches = new Map<string, { buffers: Buffer[]; bytes: number }>();

  /** A fresh key for a new running hash. */
  newKey(): string {
    return `${this.prefix}:${this.generation}:${++this.counter}`;
  }

  update(key: string, buffers: readonly Buffer[]): void {
    let batch = this.batches.get(key);
    if (!batch) this.batches.set(key, (batch = { buffers: [], bytes: 0 }));
    for (const buffer of buffers) {
      batch.buffers.push(buffer);
      batch.bytes += buffer.length;
    }
    if (batch.bytes >= IO_CHUNK_BYTES) this.flush(key);
  }

  /** Resolves once the worker's backlog is small enough to take more. */
  async room(): Promise<void> {
    while (this.backlog > MAX_BACKLOG_BYTES) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  async digest(key: string): Promise<string> {
    if (key.split(':')[1] !== String(this.generation)) throw new Error('the hashing worker restarted: hash from disk');
    this.flush(key);
    const seq = ++this.seq;
    const answer = new Promise<string>((resolve, reject) => this.digests.set(seq, { resolve, reject }));
    this.post({ type: 'digest', key, seq });
    return answer;
  }

  drop(key: string): void {
    this.batches.delete(key);
    if (this.worker) this.post({ type: 'drop', key });
  }

  private flush(key: string): void {
    const batch = this.batches.get(key);
    if (!batch || batch.bytes === 0) return;
    this.batches.delete(key);
    // Its own ArrayBuffer (never the shared pool), so it can be transferred.
    const data = Buffer.allocUnsafeSlow(batch.bytes);
    let at = 0;
    for (const buffer of batch.buffers) at += buffer.copy(data, at);
    this.backlog += batch.bytes;
    this.post({ type: 'update', key, data: data.buffer }, [data.buffer]);
  }

  private post(message: object, transfer: ArrayBuffer[] = []): void {
    this.ensureWorker().postMessage(message, transfer);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'ack') {
        this.backlog -= message.bytes;
        if (this.backlog <= MAX_BACKLOG_BYTES) for (const wake of this.waiting.splice(0)) wake();
        return;
      }
      this.digests.get(message.seq)?.resolve(message.digest);
      this.digests.delete(message.seq);
    });
    const fail = (error: Error): void => {
      if (this.worker !== worker) return;
      // Start afresh: running hashes lost bytes (their digests now reject), the next key gets a new worker.
      this.worker = undefined;
      this.generation++;
      this.backlog = 0;
      this.batches.clear();
      for (const pending of this.digests.values()) pending.reject(error);
      this.digests.clear();
      for (const wake of this.waiting.splice(0)) wake();
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('the hashing worker stopped')));
    // After the listeners: adding a 'message' listener refs the worker again, which kept the server alive at shutdown.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

let shared: OffThreadHasher | undefined;

/** The process's hasher (one worker thread for every upload). */
export function sharedHasher(): OffThreadHasher {
  shared ??= new OffThreadHasher();
  return shared;
}
