// `sync -f PATH` (syncfs(2), coreutils, Linux) run by one long-lived shell instead of a new process each time. Why:
// Node forks itself to start a program, and a pull's device process (250 MB) took ~5 ms of its main thread per
// fork, 0.2 s over a 100,000-record pull; the shell it starts once is small, and forks `sync` cheaply.
import { execFile, spawn, type ChildProcess } from 'node:child_process';

/** How long one `sync -f` may take before the helper is given up (the caller then fsyncs file by file). */
const SYNC_TIMEOUT_MS = 120_000;

// One path a line in, one exit status a line out.
const LOOP = 'while IFS= read -r p; do sync -f -- "$p" 2>/dev/null; echo $?; done';

interface Waiter {
  done: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

class SyncHelper {
  readonly #child: ChildProcess;
  readonly #waiting: Waiter[] = [];
  #gone = false;
  #partial = '';

  constructor(onGone: () => void) {
    this.#child = spawn('/bin/sh', ['-c', LOOP], { stdio: ['pipe', 'pipe', 'ignore'] });
    const gone = (): void => {
      if (this.#gone) return;
      this.#gone = true;
      onGone();
      for (const waiter of this.#waiting.splice(0)) this.#settle(waiter, false);
    };
    this.#child.once('error', gone);
    this.#child.once('exit', gone);
    this.#child.stdin?.on('error', gone);
    this.#child.stdout?.setEncoding('utf8');
    this.#child.stdout?.on('data', (text: string) => {
      const lines = (this.#partial + text).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) {
        const waiter = this.#waiting.shift();
        if (waiter) this.#settle(waiter, line.trim() === '0');
      }
      this.#holdProcess();
    });
    this.#holdProcess();
  }

  sync(path: string): Promise<boolean> {
    if (this.#gone) return Promise.resolve(false);
    return new Promise((done) => {
      // A sync that never answers (a hung disk) must not hold its callers forever: they fsync file by file instead.
      const timer = setTimeout(() => this.stop(), SYNC_TIMEOUT_MS);
      this.#waiting.push({ done, timer });
      this.#holdProcess();
      this.#child.stdin?.write(`${path}\n`);
    });
  }

  stop(): void {
    this.#child.kill();
  }

  #settle(waiter: Waiter, ok: boolean): void {
    clearTimeout(waiter.timer);
    waiter.done(ok);
  }

  /** The helper keeps this process alive only while a caller waits for it (an idle one never delays an exit). */
  #holdProcess(): void {
    const wanted = this.#waiting.length > 0;
    // The pipes are sockets (ref/unref are theirs, not in the stream types).
    for (const handle of [this.#child, this.#child.stdin, this.#child.stdout] as ({ ref(): void; unref(): void } | null)[]) {
      if (wanted) handle?.ref();
      else handle?.unref();
    }
  }
}

let helper: SyncHelper | undefined;

/** Runs `sync -f path`: true once it succeeded, false when it failed or cannot run here. */
export function syncFs(path: string): Promise<boolean> {
  // A name with a line break cannot go down the helper's line protocol: a process of its own, as before.
  if (path.includes('\n')) return syncFsOnce(path);
  helper ??= new SyncHelper(() => (helper = undefined));
  return helper.sync(path);
}

function syncFsOnce(path: string): Promise<boolean> {
  return new Promise((done) => execFile('sync', ['-f', '--', path], { timeout: SYNC_TIMEOUT_MS }, (error) => done(error === null)));
}
