// The dashboard's sign-in: the same login and refresh as devices, but the tokens go into httpOnly cookies and
// never into the page. Every route here needs the CSRF header and this server's Origin (see csrf.ts).
import { NimbusError, loginRequest } from '@nimbus/protocol';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { parseInput } from '../http/validate.js';
import { clientInfo } from './auth-routes.js';
import { assertSameSiteRequest } from './csrf.js';
import { login, refresh, signOut } from './session-service.js';
import { WEB_COOKIES, clearSessionCookies, cookieToken, setSessionCookies } from './web-cookies.js';

const WEB_DEVICE_NAME = 'Web browser';

export function registerWebSessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  /** Sign in (with `otp` when 2FA is on): answers the account, sets the cookies. */
  app.post('/v1/web/session', async (request, reply) => {
    assertSameSiteRequest(request);
    const body = request.body !== null && typeof request.body === 'object' ? request.body : {};
    const input = parseInput(loginRequest, { deviceName: WEB_DEVICE_NAME, ...body });
    const { account, ...tokens } = await login(ctx, input, clientInfo(request));
    setSessionCookies(request, reply, tokens, ctx.clock.now());
    return { account };
  });

  /** Rotates both tokens from the refresh cookie; a dead session clears the cookies and says why. */
  app.post('/v1/web/session/refresh', async (request, reply) => {
    assertSameSiteRequest(request);
    const refreshToken = cookieToken(request, WEB_COOKIES.refresh);
    if (refreshToken === undefined) throw new NimbusError('UNAUTHENTICATED', 'sign in first: this browser has no session');
    try {
      const tokens = await refresh(ctx, refreshToken);
      setSessionCookies(request, reply, tokens, ctx.clock.now());
      return { accessExpiresAt: tokens.accessExpiresAt };
    } catch (error) {
      clearSessionCookies(request, reply);
      throw error;
    }
  });

  /** Signs this browser out: the session is revoked and the cookies cleared (an already-dead session just clears them). */
  app.delete('/v1/web/session', async (request, reply) => {
    assertSameSiteRequest(request);
    let revokedSessions = 0;
    if (cookieToken(request, WEB_COOKIES.access) !== undefined) {
      const auth = await ctx.requireAuth(request).catch(() => null);
      if (auth) revokedSessions = (await signOut(ctx, auth, 'current')).revokedSessions;
    }
    clearSessionCookies(request, reply);
    return { revokedSessions };
  });
}
