// The one request shape the API client sends its JSON calls and blob downloads with, and a fetch behind it.
import { Readable } from 'node:stream';

export interface HttpRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** An answer whose status and headers came; its body is read once, as text or as a stream. */
export interface HttpAnswer {
  readonly status: number;
  readonly url: string;
  readonly header: (name: string) => string | undefined;
  text(): Promise<string>;
  /** The body as a stream (a blob download): the caller reads it or destroys it. Null when there is none. */
  stream(): Readable | null;
}

/**
 * Sends one request and resolves once the answer's headers came; redirects are answers, never followed. A request
 * that got no answer rejects with the error as it came (a system error, the deadline's TimeoutError), or with the
 * caller's `signal.reason` when the caller aborted it.
 */
export type HttpSend = (request: HttpRequest) => Promise<HttpAnswer>;

/** Sends through a fetch (tests' fakes, a caller's own fetch) with the same promises as the node:http transport. */
export function fetchSend(fetchImpl: typeof fetch): HttpSend {
  return async (request) => {
    const response = await fetchImpl(request.url, {
      method: request.method,
      headers: request.headers,
      redirect: 'manual',
      ...(request.body !== undefined ? { body: request.body } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    return {
      status: response.status,
      url: response.url || request.url,
      header: (name) => response.headers.get(name) ?? undefined,
      text: () => response.text(),
      stream: () => (response.body ? Readable.fromWeb(response.body) : null),
    };
  };
}
