// The answers a FaultProxy makes itself instead of forwarding: a captive portal's pages and error statuses.
import { ERROR_KINDS, HEADERS, type ErrorKind } from '@nimbus/protocol';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { PortalMode, StatusMode } from './fault-mode.js';

/** The path of the portal's own sign-in page on the proxy; a redirect defaults to it. */
export const PORTAL_LOGIN_PATH = '/portal/login';

export const PORTAL_PAGE = `<!doctype html>
<html><head><title>Guest Wi-Fi — sign in</title></head>
<body><h1>Welcome to Guest Wi-Fi</h1>
<form method="post" action="${PORTAL_LOGIN_PATH}"><label>Room number <input name="room"></label>
<button>Accept the terms and connect</button></form></body></html>
`;

/** Which fault is being answered, and the proxy's own base URL (for the default portal address). */
export interface AnswerContext {
  mode(): PortalMode | StatusMode | undefined;
  baseUrl(): string;
  /** Told of every request answered, for the proxy's counters. */
  onAnswer(): void;
}

/**
 * An HTTP server that never listens: the proxy hands it accepted sockets. With `tls`, it is an HTTPS server
 * with that certificate — a portal on an HTTPS port can only show its own certificate, never the server's.
 */
export class FaultAnswers {
  private readonly server: http.Server;

  constructor(
    private readonly context: AnswerContext,
    tls?: { readonly cert: string; readonly key: string },
  ) {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse): void => this.answer(request, response);
    this.server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
    // A client that rejects the portal's certificate aborts the handshake: that is the point, not a harness error.
    this.server.on('tlsClientError', (_error, socket) => socket.destroy());
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  /** Serves HTTP on a socket the proxy accepted (no bytes read from it yet). */
  take(socket: Socket): void {
    this.server.emit('connection', socket);
  }

  close(): void {
    this.server.closeAllConnections();
  }

  private answer(request: http.IncomingMessage, response: http.ServerResponse): void {
    request.resume();
    const mode = this.context.mode();
    if (!mode) {
      response.destroy();
      return;
    }
    this.context.onAnswer();
    if (mode.kind === 'portal') this.portal(mode, request, response);
    else this.status(mode, response);
  }

  private portal(mode: PortalMode, request: http.IncomingMessage, response: http.ServerResponse): void {
    const loginUrl = mode.portalUrl ?? `${this.context.baseUrl()}${PORTAL_LOGIN_PATH}`;
    const onLoginPage = (request.url ?? '/').split('?')[0] === PORTAL_LOGIN_PATH;
    response.setHeader('cache-control', 'no-store');
    if ((mode.answer ?? 'redirect') === 'redirect' && !onLoginPage) {
      response.writeHead(302, { location: loginUrl, 'content-type': 'text/html; charset=utf-8' });
      response.end(`<html><body><a href="${loginUrl}">Sign in to Guest Wi-Fi</a></body></html>\n`);
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(PORTAL_PAGE);
  }

  private status(mode: StatusMode, response: http.ServerResponse): void {
    const seconds = retryAfterSeconds(mode.retryAfter);
    if (mode.retryAfter !== undefined) {
      response.setHeader('retry-after', typeof mode.retryAfter === 'number' ? String(mode.retryAfter) : mode.retryAfter.toUTCString());
    }
    if (mode.body === 'plain') {
      response.writeHead(mode.status, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${mode.status} ${http.STATUS_CODES[mode.status] ?? 'Error'}\n`);
      return;
    }
    const kind: ErrorKind = mode.errorKind ?? (mode.status === 429 ? ERROR_KINDS.RATE_LIMITED : ERROR_KINDS.SERVER_UNAVAILABLE);
    const body = {
      error: {
        kind,
        message: kind === 'RATE_LIMITED' ? 'too many requests; slow down' : 'the server is unavailable right now',
        ...(seconds === undefined ? {} : { retryAfterSeconds: seconds }),
      },
    };
    response.writeHead(mode.status, { 'content-type': 'application/json; charset=utf-8', [HEADERS.serverTime]: String(Date.now()) });
    response.end(JSON.stringify(body));
  }
}

/** Whole seconds to wait (a date is counted from now, at least 0). */
function retryAfterSeconds(retryAfter: number | Date | undefined): number | undefined {
  if (retryAfter === undefined) return undefined;
  if (typeof retryAfter === 'number') return retryAfter;
  return Math.max(0, Math.ceil((retryAfter.getTime() - Date.now()) / 1000));
}
