// The dashboard's session cookies: httpOnly (page scripts never see a token), SameSite=Strict, Secure over HTTPS.
import type {} from '@fastify/cookie';
import type { SessionTokens } from '@nimbus/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const WEB_COOKIES = {
  /** The access token, sent with every API call the page makes. */
  access: 'nimbus_access',
  /** The refresh token, sent only to the refresh route. */
  refresh: 'nimbus_refresh',
} as const;

/** The header every cookie-authenticated call must carry: a cross-site form or image cannot send it. */
export const CSRF_HEADER = 'x-nimbus-csrf';

const REFRESH_PATH = '/v1/web/session';

function secure(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

/** Both cookies live as long as the session may be refreshed, so an expired access token is refreshed, not lost. */
export function setSessionCookies(request: FastifyRequest, reply: FastifyReply, tokens: SessionTokens, now: number): void {
  const maxAge = Math.max(0, Math.floor((tokens.refreshExpiresAt - now) / 1000));
  const common = { httpOnly: true, sameSite: 'strict', secure: secure(request), maxAge } as const;
  void reply.setCookie(WEB_COOKIES.access, tokens.accessToken, { ...common, path: '/v1' });
  void reply.setCookie(WEB_COOKIES.refresh, tokens.refreshToken, { ...common, path: REFRESH_PATH });
}

export function clearSessionCookies(request: FastifyRequest, reply: FastifyReply): void {
  const common = { httpOnly: true, sameSite: 'strict', secure: secure(request) } as const;
  void reply.clearCookie(WEB_COOKIES.access, { ...common, path: '/v1' });
  void reply.clearCookie(WEB_COOKIES.refresh, { ...common, path: REFRESH_PATH });
}

export function cookieToken(request: FastifyRequest, name: string): string | undefined {
  // Undefined when the cookie plugin is not registered (the probe app).
  const value = (request.cookies as Record<string, string | undefined> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
