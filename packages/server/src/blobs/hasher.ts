// SHA-256 of staged upload files on a worker thread that reads the bytes back from the file as they are written:
// the main thread copies nothing and sends only "N more bytes are down" (the bytes are still in the page cache).
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { IO_CHUNK_BYTES } from './blob-key.js';

// Plain CommonJS evaluated in the worker: no file to resolve from src/ (tests) or dist/.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const states = new Map();
const buffer = Buffer.allocUnsafe(${4 * IO_CHUNK_BYTES});
function extend(state, path, upTo) {
  const fd = openSync(path, 'r');
  try {
    while (state.at < upTo) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, upTo - state.at), state.at);
      if (n === 0) throw new Error('the staged file is shorter than the bytes written to it');
      state.hash.update(buffer.subarray(0, n));
      state.at += n;
    }
  } finally {
    closeSync(fd);
  }
}
parentPort.on('message', (m) => {
  if (m.type === 'extend') {
    let state = states.get(m.key);
    if (!state) states.set(m.key, (state = { hash: createHash('sha256'), at: 0, error: undefined }));
    if (!state.error) {
      try {
        extend(state, m.path, m.upTo);
      } catch (error) {
        state.error = String(error && error.message || error);
      }
    }
    parentPort.postMessage({ type: 'ack', bytes: m.bytes });
  } else if (m.type === 'digest') {
    const state = states.get(m.key);
    states.delete(m.key);
    if (state && state.error) parentPort.postMessage({ type: 'digest', seq: m.seq, error: state.error });
    else parentPort.postMessage({ type: 'digest', seq: m.seq, digest: (state ? state.hash : createHash('sha256')).digest('hex') });
  } else if (m.type === 'drop') {
    states.delete(m.key);
  }
});`;

/** Bytes written and not yet hashed, above which writers wait (so the worker reads from the page cache, not the disk). */
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;
/** Written bytes are announced to the worker in steps of at least this much (fewer messages). */
const STEP_BYTES = IO_CHUNK_BYTES;

type WorkerMessage = { type: 'ack'; bytes: number } | { type: 'digest'; seq: number; digest?: string; error?: string };

interface Running {
  path: string;
  /** Bytes known to be in the file. */
  written: number;
  /** Bytes announced to the worker. */
  announced: number;
}

/**
 * One running hash per key over a file that grows by appends, computed on a shared, unref'd worker
 * thread. If the worker fails (or cannot read the file), digests reject and callers hash from disk instead.
 */
export class StagedFileHasher {
  private worker: Worker | undefined;
  private readonly prefix = randomBytes(6).toString('hex');
  private counter = 0;
  /** Bumped when a worker dies: running hashes of older generations lost bytes. */
  private generation = 0;
  private seq = 0;
  private backlog = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly digests = new Map<number, { resolve: (digest: string) => void; reject: (error: Error) => void }>();
  private readonly running = new Map<string, Running>();

  /** A fresh key for a new running hash of the file at `path`, from its first byte. */
  newKey(path: string): string {
    const key = `${this.prefix}:${this.generation}:${++this.counter}`;
    this.running.set(key, { path, written: 0, announced: 0 });
    return key;
  }

  /** `bytes` more were appended to the key's file (and are down: the worker may read them). */
  wrote(key: string, bytes: number): void {
    const state = this.running.get(key);
    if (!state) return;
    state.written += bytes;
    if (state.written - state.announced >= STEP_BYTES) this.announce(key, state);
  }

  /** Resolves once the worker's backlog is small enough to take more. */
  async room(): Promise<void> {
    while (this.backlog > MAX_BACKLOG_BYTES) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  async digest(key: string): Promise<string> {
    const state = this.running.get(key);
    this.running.delete(key);
    if (!state || key.split(':')[1] !== String(this.generation)) throw new Error('the hashing worker restarted: hash from disk');
    this.announce(key, state);
    const seq = ++this.seq;
    const answer = new Promise<string>((resolve, reject) => this.digests.set(seq, { resolve, reject }));
    this.post({ type: 'digest', key, seq });
    return answer;
  }

  drop(key: string): void {
    this.running.delete(key);
    if (this.worker) this.post({ type: 'drop', key });
  }

  private announce(key: string, state: Running): void {
    const bytes = state.written - state.announced;
    if (bytes === 0) return;
    state.announced = state.written;
    this.backlog += bytes;
    this.post({ type: 'extend', key, path: state.path, upTo: state.written, bytes });
  }

  private post(message: object): void {
    this.ensureWorker().postMessage(message);
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
      const pending = this.digests.get(message.seq);
      this.digests.delete(message.seq);
      if (message.digest !== undefined) pending?.resolve(message.digest);
      else pending?.reject(new Error(`the staged file could not be hashed: ${message.error ?? 'unknown error'}`));
    });
    const fail = (error: Error): void => {
      if (this.worker !== worker) return;
      // Start afresh: running hashes lost bytes (their digests now reject), the next key gets a new worker.
      this.worker = undefined;
      this.generation++;
      this.backlog = 0;
      this.running.clear();
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

let shared: StagedFileHasher | undefined;

/** The process's hasher (one worker thread for every upload). */
export function sharedHasher(): StagedFileHasher {
  shared ??= new StagedFileHasher();
  return shared;
}
