// Request deadlines and "reset network state" for the client's HTTP: a black-holed link must fail fast, and never be reused.

/** How long a request waits for the server's answer to start, unless told otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The slowest upload a request body is given time for (a poor cellular link), on top of the deadline. */
export const SLOWEST_UPLOAD_BYTES_PER_SECOND = 32 * 1024;

/**
 * A fetch that gives up when the answer has not started within `timeoutMs` (a black hole never answers).
 * The caller's own signal still works: both are combined, neither replaces the other. Only the wait for the
 * answer's headers is timed, so a long download is not cut at the deadline once its bytes flow; a request body
 * (a batch, a blob pack) gets the time to go up on a slow link first.
 */
export function timedFetch(timeoutMs: number, base: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const deadline = new AbortController();
    const ms = answerDeadlineMs(timeoutMs, bodyBytes(init?.body));
    const timer = setTimeout(() => deadline.abort(noAnswerError(ms)), ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    try {
      return await base(input, { ...init, signal });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** How long a request with a body of `bytes` waits for its answer to start: the deadline, plus the body's time on a slow link. */
export function answerDeadlineMs(timeoutMs: number, bytes: number): number {
  return timeoutMs + Math.ceil((bytes / SLOWEST_UPLOAD_BYTES_PER_SECOND) * 1000);
}

/** What a request that got no answer in time fails with (the classifier reads its name). */
export function noAnswerError(ms: number): DOMException {
  return new DOMException(`no answer within ${ms} ms`, 'TimeoutError');
}

/** The size of a body known up front (JSON text, bytes); 0 for none or a stream. */
function bodyBytes(body: RequestInit['body'] | undefined): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return body.byteLength;
  return 0;
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
