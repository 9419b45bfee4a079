// CSRF defence for cookie-authenticated calls: a custom header cross-site pages cannot send without a CORS
// preflight (which this server never grants), plus, on writes, an Origin that must be this server's own.
import { NimbusError } from '@nimbus/protocol';
import type { FastifyRequest } from 'fastify';
import { CSRF_HEADER } from './web-cookies.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Throws FORBIDDEN unless a cookie-authenticated request comes from the dashboard itself. */
export function assertSameSiteRequest(request: FastifyRequest): void {
  if (request.headers[CSRF_HEADER] !== '1') {
    throw new NimbusError('FORBIDDEN', `a browser session needs the ${CSRF_HEADER} header (sent by the Nimbus dashboard)`);
  }
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin === undefined || origin !== ownOrigin(request)) {
    throw new NimbusError('FORBIDDEN', 'this change was requested from another site, so it was refused');
  }
}

/** The origin a page served by this server has: scheme and Host as this request reached us. */
function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}
