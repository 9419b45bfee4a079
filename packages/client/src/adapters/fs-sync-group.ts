// syncfs(2) shared by everyone waiting on one file system. A caller whose writes are done needs a sync that starts
// after that; one running sync serves every caller that asked before it started, and callers that ask while it runs
// share the next one. So a pull's pages, placed one after another while the disk is slow to sync, share syncs
// instead of queueing one each.
import { statSync } from 'node:fs';
import { syncFs } from './sync-helper.js';

class SyncGroup {
  #running: Promise<boolean> | undefined;
  #next: Promise<boolean> | undefined;
  /** A file on this file system, named by the latest caller (`sync -f` syncs the file system holding it). */
  #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  sync(path: string): Promise<boolean> {
    this.#path = path;
    if (!this.#running) return (this.#running = this.#start());
    // The running one may have started before this caller's writes ended: the next one covers them.
    this.#next ??= this.#running.then(() => {
      this.#next = undefined;
      return (this.#running ??= this.#start());
    });
    return this.#next;
  }

  #start(): Promise<boolean> {
    return syncFs(this.#path).then((ok) => {
      this.#running = undefined;
      return ok;
    });
  }
}

const groups = new Map<number, SyncGroup>();

/**
 * Resolves once a syncfs(2) of the file system holding `file`, started after this call, has finished (coreutils
 * `sync -f`, Linux): false when that is not available here (then the caller fsyncs each file).
 */
export function syncFileSystemOf(file: string): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false);
  let dev: number;
  try {
    dev = statSync(file).dev;
  } catch {
    return Promise.resolve(false);
  }
  let group = groups.get(dev);
  if (!group) groups.set(dev, (group = new SyncGroup(file)));
  return group.sync(file);
}
