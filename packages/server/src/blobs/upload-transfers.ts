// In-process state of upload sessions: one transfer at a time per upload, and the running hash of its bytes.
import { sharedHasher, type StagedFileHasher } from './hasher.js';
import type { HashSink } from './staging.js';

interface HashState {
  key: string;
  /** Bytes fed to the hash; valid only while it equals the staged file's size. */
  bytes: number;
}

interface Holder {
  controller: AbortController;
}

/**
 * A newer PUT for the same upload aborts the one in flight (it is almost always a connection the
 * client gave up on), then runs after it has settled; completion waits its turn without aborting.
 * The hash state lives only as long as this process: after a restart the file is hashed from disk.
 */
export class UploadTransfers {
  private readonly hashes = new Map<string, HashState>();
  private readonly active = new Map<string, Holder>();
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly hasher: StagedFileHasher = sharedHasher()) {}

  async exclusive<T>(id: string, preempt: boolean, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (preempt) this.active.get(id)?.controller.abort();
    const previous = this.tails.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(id, tail);
    await previous;
    const holder: Holder = { controller: new AbortController() };
    this.active.set(id, holder);
    try {
      return await work(holder.controller.signal);
    } finally {
      if (this.active.get(id) === holder) this.active.delete(id);
      release();
      if (this.tails.get(id) === tail) this.tails.delete(id);
    }
  }

  /** Whether a transfer or completion of this upload is running or waiting here. */
  busy(id: string): boolean {
    return this.tails.has(id);
  }

  /** A sink for the running hash of the staged file at `path` if it covers exactly `offset` bytes (a fresh one at 0); otherwise none. */
  hashAt(id: string, offset: number, path: string): HashSink | undefined {
    let state = this.hashes.get(id);
    if (!state || state.bytes !== offset) {
      this.drop(id);
      if (offset !== 0) return undefined;
      state = { key: this.hasher.newKey(path), bytes: 0 };
      this.hashes.set(id, state);
    }
    const current = state;
    return {
      wrote: (bytes) => {
        this.hasher.wrote(current.key, bytes);
        current.bytes += bytes;
      },
      room: () => this.hasher.room(),
    };
  }

  /** Keeps the hash state only if it still covers exactly the staged bytes. */
  settle(id: string, stagedBytes: number): void {
    const state = this.hashes.get(id);
    if (state && state.bytes !== stagedBytes) this.drop(id);
  }

  /** The digest, if the running hash covers exactly `size` bytes; consumes the state. Undefined: hash from disk. */
  async takeDigest(id: string, size: number): Promise<string | undefined> {
    const state = this.hashes.get(id);
    this.hashes.delete(id);
    if (!state) return undefined;
    if (state.bytes !== size) {
      this.hasher.drop(state.key);
      return undefined;
    }
    return this.hasher.digest(state.key).catch(() => undefined);
  }

  forget(id: string): void {
    this.drop(id);
    this.active.get(id)?.controller.abort();
  }

  private drop(id: string): void {
    const state = this.hashes.get(id);
    if (state) this.hasher.drop(state.key);
    this.hashes.delete(id);
  }
}
