// Many new small files created on a worker thread. Why: creating a file is mostly kernel time in open(2) (a
// fresh device's pull of 100,000 notes spends about as long creating files as everything else together), and on
// the main thread that time blocks the rest of the pull; on a worker, the next feed page is applied meanwhile.
// The worker only makes files (open O_EXCL, write, fstat, close) and their missing folders; journaling and fsync
// stay with the caller.
import { Worker } from 'node:worker_threads';
import type { WrittenFile } from './atomic-write.js';

/** One new file's result: its size and mtime, `null` when the name was taken (EEXIST). */
export type CreateResult = WrittenFile | null;

/** What a worker reports for its share: results in order; `error` when it stopped early (the rest was not tried). */
interface WorkerAnswer {
  results: CreateResult[];
  error?: { code?: string; message: string };
}

// The worker's code, run with `eval` so that it needs no file of its own next to the bundled CLI. Plain CommonJS
// with Node built-ins only.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { openSync, writeSync, fstatSync, closeSync, mkdirSync, constants } = require('node:fs');
const { dirname } = require('node:path');
const FLAGS = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY;
const open = (file) => {
  try {
    return openSync(file, FLAGS, 0o644);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    mkdirSync(dirname(file), { recursive: true }); // a folder new in this batch (checked to be inside by the caller)
    return openSync(file, FLAGS, 0o644);
  }
};
parentPort.on('message', ({ files }) => {
  const results = [];
  try {
    for (const [file, content] of files) {
      let fd;
      try {
        fd = open(file);
      } catch (error) {
        if (error.code !== 'EEXIST') throw error;
        results.push(null);
        continue;
      }
      try {
        writeSync(fd, content);
        const s = fstatSync(fd);
        results.push({ size: s.size, mtimeMs: Math.round(s.mtimeMs) });
      } catch (error) {
        results.push({ size: -1, mtimeMs: 0 }); // made, then failed: the caller removes it
        throw error;
      } finally {
        closeSync(fd);
      }
    }
    parentPort.postMessage({ results });
  } catch (error) {
    parentPort.postMessage({ results, error: { code: error.code, message: error.message } });
  }
});
`;

/** Idle workers end after this long (an agent that pulled once keeps no thread around). */
const IDLE_MS = 15_000;

/** A file-creation failure, with the files this call made before it (the caller removes them). */
export class CreateError extends Error {
  constructor(
    override readonly cause: NodeJS.ErrnoException,
    readonly made: string[],
  ) {
    super(cause.message);
  }
}

/** One worker thread, one batch at a time (batches queue). */
class CreatePool {
  #worker: Worker | undefined;
  #idle: NodeJS.Timeout | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** Creates `files` (and their missing folders), in order; results in `files` order. */
  createAll(files: ReadonlyArray<readonly [file: string, content: string]>): Promise<CreateResult[]> {
    const run = this.#queue.then(() => this.#run(files));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #run(files: ReadonlyArray<readonly [string, string]>): Promise<CreateResult[]> {
    clearTimeout(this.#idle);
    let answer: WorkerAnswer;
    try {
      answer = await ask(this.#ensure(), files);
    } finally {
      this.#idle = setTimeout(() => this.close(), IDLE_MS);
      this.#idle.unref();
    }
    const made = files.slice(0, answer.results.length).filter((_, k) => answer.results[k] !== null).map(([file]) => file);
    if (answer.error) throw new CreateError(Object.assign(new Error(answer.error.message), { code: answer.error.code }), made);
    return answer.results;
  }

  #ensure(): Worker {
    if (!this.#worker) {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref(); // never keeps the process alive
      worker.on('error', () => this.close());
      this.#worker = worker;
    }
    return this.#worker;
  }

  close(): void {
    clearTimeout(this.#idle);
    void this.#worker?.terminate();
    this.#worker = undefined;
  }
}

function ask(worker: Worker, files: ReadonlyArray<readonly [string, string]>): Promise<WorkerAnswer> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      worker.off('message', onMessage);
      reject(error);
    };
    const onMessage = (answer: WorkerAnswer): void => {
      worker.off('error', onError);
      resolve(answer);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.postMessage({ files });
  });
}

let shared: CreatePool | undefined;

/** The process's pool, made on first use. */
export function createPool(): CreatePool {
  shared ??= new CreatePool();
  return shared;
}
