// The API client's requests over node:http(s), with a keep-alive pool of its own. Node's own client parses with the
// native llhttp: a device command that only talks to its server never loads fetch's undici, whose JavaScript took
// ~40 ms to load and whose WebAssembly parser the process then waited for at exit (30–65 ms of a 350 ms sync).
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import type { HttpAnswer, HttpRequest, HttpSend } from './http-send.js';
import { answerDeadlineMs, noAnswerError } from './timed-fetch.js';

// What fetch (undici) did by default, so a failure takes as long, and names the same cause, as it did there.
/** A connection not made within this long fails (undici's connect timeout). */
const CONNECT_TIMEOUT_MS = 10_000;
/** A pooled connection left idle this long closes, or sooner when the server's Keep-Alive hint says so (undici's keepAliveTimeout). */
const POOLED_IDLE_MS = 4_000;
/** An answer's body that moves nothing for this long fails (undici's bodyTimeout). */
const BODY_IDLE_MS = 300_000;
/** Without a deadline of the caller's, the wait for an answer's headers (undici's headersTimeout). */
const DEFAULT_TIMEOUT_MS = 300_000;

export interface NodeHttpOptions {
  /** How long a request waits for its answer to start, plus its body's time on a slow link (as timedFetch). */
  readonly timeoutMs?: number | undefined;
  /** Resolves the server's name (the user's DNS servers); the system's by default. */
  readonly lookup?: LookupFunction | undefined;
}

interface Pools {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

/** Shared by every client of the process, so "reset network state" reaches them all (like fetch's global pool). */
let pools: Pools | undefined;

function poolFor(protocol: string): http.Agent {
  pools ??= {
    http: new http.Agent({ keepAlive: true, timeout: POOLED_IDLE_MS }),
    // No `ca` of our own: Node's trust store (NODE_EXTRA_CA_CERTS included), exactly what fetch verified with.
    https: new https.Agent({ keepAlive: true, timeout: POOLED_IDLE_MS }),
  };
  return protocol === 'https:' ? pools.https : pools.http;
}

/**
 * "Reset network state" for this transport: pooled keep-alive connections are closed, so the next request opens a
 * new one. Requests in flight finish on their connection, which then closes instead of going back to a pool.
 */
export function dropHttpConnections(): void {
  const old = pools;
  pools = undefined;
  if (!old) return;
  for (const agent of [old.http, old.https]) {
    agent.maxFreeSockets = 0;
    for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }
}

/** Requests over node:http(s): a pass's calls share one pooled connection; the deadline covers the wait for the answer. */
export function nodeHttpSend(options: NodeHttpOptions = {}): HttpSend {
  return (request) => send(request, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.lookup);
}

function send(request: HttpRequest, timeoutMs: number, lookup: LookupFunction | undefined): Promise<HttpAnswer> {
  const { signal } = request;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const target = new URL(request.url);
  const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
  // fetch's user agent, which the server keeps with a session (the device list shows it); a length even when empty.
  const headers: Record<string, string> = { 'user-agent': 'node', ...request.headers };
  if (body !== undefined || request.method === 'POST' || request.method === 'PUT') headers['content-length'] = String(body?.byteLength ?? 0);
  return new Promise((resolve, reject) => {
    let answer: http.IncomingMessage | undefined;
    const transport = target.protocol === 'https:' ? https : http;
    const req = transport.request(target, { method: request.method, headers, agent: poolFor(target.protocol), ...(lookup ? { lookup } : {}) });
    const ms = answerDeadlineMs(timeoutMs, body?.byteLength ?? 0);
    const deadline = setTimeout(() => req.destroy(noAnswerError(ms)), ms);
    // fetch rejects with the caller's reason, and so does its body once the answer came: the classifier reads it.
    const onAbort = (): void => {
      const reason = signal?.reason as Error;
      if (answer) answer.destroy(reason);
      else req.destroy(reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
    };
    req.on('socket', (socket: Socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(connectTimeout(target.host)), CONNECT_TIMEOUT_MS);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    req.on('error', (error) => {
      if (answer) return; // the body's own stream reports it
      done();
      reject(error);
    });
    req.on('response', (res) => {
      answer = res;
      clearTimeout(deadline);
      watchBodyIdle(res);
      res.once('close', done);
      resolve(answerOf(request.url, res));
    });
    req.end(body);
  });
}

/** The body fails when its connection moves nothing for BODY_IDLE_MS (a link that went dark mid-answer). */
function watchBodyIdle(res: http.IncomingMessage): void {
  const socket = res.socket;
  const timer = setTimeout(() => res.destroy(Object.assign(new Error(`the answer stalled for ${BODY_IDLE_MS / 1000} s`), { code: 'ETIMEDOUT' })), BODY_IDLE_MS);
  // The socket's own 'data' (the parser already reads it): listening there keeps the body's stream paused for its reader.
  const moved = (): void => void timer.refresh();
  socket.on('data', moved);
  res.once('close', () => {
    clearTimeout(timer);
    socket.off('data', moved);
  });
}

function answerOf(url: string, res: http.IncomingMessage): HttpAnswer {
  return {
    status: res.statusCode ?? 0,
    url,
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    text: () => readText(res),
    stream: () => res,
  };
}

function readText(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    res.on('data', (part: Buffer) => parts.push(part));
    res.once('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.once('error', reject);
    res.once('close', () => {
      if (!res.complete) reject(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' }));
    });
  });
}

function connectTimeout(host: string): Error {
  return Object.assign(new Error(`connecting to ${host} timed out after ${CONNECT_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' });
}
