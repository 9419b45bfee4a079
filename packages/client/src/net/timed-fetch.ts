// Request deadlines and "reset network state" for the client's HTTP: a black-holed link must fail fast, and never be reused.

/** How long a request waits for the server's answer to start, unless told otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * A fetch that gives up when the answer has not started within `timeoutMs` (a black hole never answers).
 * The caller's own signal still works: both are combined, neither replaces the other. Only the wait for the
 * answer's headers is timed, so a long download is not cut at the deadline once its bytes flow.
 */
export function timedFetch(timeoutMs: number, base: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
      timeoutMs,
    );
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    try {
      return await base(input, { ...init, signal });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Where undici (Node's fetch) keeps its shared connection pool; documented by undici as its global dispatcher key. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

interface Dispatcher {
  close(): Promise<void>;
}

/**
 * "Reset network state": fetch's pooled keep-alive connections are dropped, so the next request opens a new
 * connection (a pooled one may lead into a black hole, or through a route that is gone). Requests in flight finish
 * on the old pool. Does nothing before the first fetch, when there is no pool yet.
 */
export function dropPooledConnections(): void {
  const holder = globalThis as unknown as Record<symbol, Dispatcher | undefined>;
  const old = holder[GLOBAL_DISPATCHER];
  if (old === undefined) return;
  const Fresh = old.constructor as new () => Dispatcher;
  holder[GLOBAL_DISPATCHER] = new Fresh();
  old.close().catch(() => undefined);
}
