// The page's only way to the server: the public API under /v1, authenticated by the httpOnly session cookie.
// Every call carries the CSRF header the server demands of cookie sessions; an expired access token is
// refreshed once, by the server, from the refresh cookie.
import type { ErrorBody } from '@nimbus/protocol';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const CSRF = { 'x-nimbus-csrf': '1' };

/** Called when the session is gone for good (revoked, expired): the app shows the sign-in page with the reason. */
let onSignedOut: (reason: string) => void = () => undefined;
export function setSignedOutHandler(handler: (reason: string) => void): void {
  onSignedOut = handler;
}

async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? CSRF : { ...CSRF, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  });
}

async function errorOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as ErrorBody | null;
  const error = body?.error;
  if (!error) return new ApiError(response.status, 'HTTP', `the server answered ${response.status}`);
  return new ApiError(response.status, error.kind, error.message, error);
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time, shared by every call that found its token expired. */
function refreshSession(): Promise<boolean> {
  refreshing ??= send('POST', '/v1/web/session/refresh', {})
    .then((response) => response.ok)
    .finally(() => (refreshing = null));
  return refreshing;
}

function isExpiredAccess(error: ApiError): boolean {
  return error.kind === 'AUTH_EXPIRED' && error.details['reason'] === 'ACCESS_TOKEN_EXPIRED';
}

/** A JSON call; throws ApiError with the server's kind and message. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let response = await send(method, path, body, signal);
  if (response.status === 401) {
    const error = await errorOf(response);
    if (isExpiredAccess(error) && (await refreshSession())) response = await send(method, path, body, signal);
    else {
      if (error.kind === 'AUTH_REVOKED' || error.kind === 'AUTH_EXPIRED') onSignedOut(error.message);
      throw error;
    }
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (error.kind === 'AUTH_REVOKED' || error.kind === 'AUTH_EXPIRED') onSignedOut(error.message);
    throw error;
  }
  return (await response.json()) as T;
}

/** Like api(), but a route this server does not have (404 NOT_FOUND "no route …") answers null. */
export async function optionalApi<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T | null> {
  try {
    return await api<T>(method, path, body, signal);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && /^no route /.test(error.message)) return null;
    throw error;
  }
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
