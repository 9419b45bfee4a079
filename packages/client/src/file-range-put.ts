// Streamed HTTP request bodies with node:http(s): a byte range of a file (its ReadStream piped into the socket), or
// buffers written as they are — backpressure kept, no web-stream copies, nothing buffered beyond the stream's window.
import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Bytes read from the file per piece: big enough for few syscalls, small enough to bound memory. */
const READ_BYTES = 1024 * 1024;
/** A link that moves nothing for this long is given up (a black-holed connection must not hang a pass). */
const IDLE_TIMEOUT_MS = 120_000;

export interface FileRangeRequest {
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  file: string;
  /** Bytes [start, end) of the file. */
  start: number;
  end: number;
  signal?: AbortSignal | undefined;
  /** Told of bytes as they are handed to the socket. */
  onBytes?: ((bytes: number) => void) | undefined;
  /** Resolves the host (the user's DNS servers); the system's by default. */
  lookup?: LookupFunction | undefined;
}

export interface PlainResponse {
  status: number;
  text: string;
}

/** Buffers sent one after another as the body (a blob pack: its header and the blobs, never concatenated). */
export interface BuffersRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  parts: readonly Uint8Array[];
  signal?: AbortSignal | undefined;
  lookup?: LookupFunction | undefined;
}

/** Sends the range; resolves with the answer, even one that came before the whole body was sent (an early refusal). */
export function sendFileRange(request: FileRangeRequest): Promise<PlainResponse> {
  const body = () =>
    request.end > request.start
      ? createReadStream(request.file, { start: request.start, end: request.end - 1, highWaterMark: READ_BYTES })
      : Readable.from([]);
  return sendStreamed(request, request.end - request.start, body, request.onBytes);
}

/** Sends the buffers as one body; resolves with the answer like sendFileRange. */
export function sendBuffers(request: BuffersRequest): Promise<PlainResponse> {
  const length = request.parts.reduce((sum, part) => sum + part.byteLength, 0);
  return sendStreamed(request, length, () => Readable.from(request.parts, { objectMode: false }));
}

interface StreamedBase {
  url: string;
  method: string;
  headers: Record<string, string>;
  signal?: AbortSignal | undefined;
  lookup?: LookupFunction | undefined;
}

function sendStreamed(request: StreamedBase, contentLength: number, makeBody: () => Readable, onBytes?: (bytes: number) => void): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    let settled = false;
    const settle = (error: unknown, response?: PlainResponse): void => {
      if (settled) return;
      settled = true;
      if (response) resolve(response);
      else reject(error instanceof Error ? error : new Error(String(error)));
    };
    const target = new URL(request.url);
    const transport = target.protocol === 'https:' ? https : http;
    const headers = { ...request.headers, 'content-length': String(contentLength) };
    // A connection of its own: a pooled one may be stale after a network change, and one big body gains nothing from reuse.
    const options = {
      method: request.method,
      headers,
      agent: false,
      ...(request.signal ? { signal: request.signal } : {}),
      ...(request.lookup ? { lookup: request.lookup } : {}),
    };
    const req = transport.request(target, options, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => settle(undefined, { status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', settle);
      res.on('close', () => settle(new Error('the connection closed before the answer was complete')));
    });
    req.on('error', (error) => {
      if (!answered) settle(error);
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(Object.assign(new Error(`no progress for ${IDLE_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    const body = makeBody();
    if (onBytes) body.on('data', (chunk: Buffer) => onBytes(chunk.length));
    // A server that refuses early closes the connection: the body then fails to send, and the answer is what counts.
    pipeline(body, req).catch((error: unknown) => {
      if (!answered) settle(error);
    });
  });
}
