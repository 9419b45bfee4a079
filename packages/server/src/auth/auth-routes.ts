// Accounts, sessions and two-factor routes: parse, call the service, answer. Logic lives in the services.
import {
  changePasswordRequest,
  createAccountRequest,
  loginRequest,
  refreshRequest,
  signOutRequest,
  twoFactorDisableRequest,
  twoFactorEnableRequest,
} from '@nimbus/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { devicesChanged } from '../devices/device-service.js';
import { checkClientClock } from '../http/clock-skew.js';
import { parseInput } from '../http/validate.js';
import { accountView, changePassword, createAccount } from './account-service.js';
import { bearerToken } from './guard.js';
import { devices, login, recentSignIns, refresh, signOut, signOutDevice, type ClientInfo } from './session-service.js';
import { disableTwoFactor, enableTwoFactor, setupTwoFactor } from './two-factor-service.js';

const sessionIdParams = z.object({ id: z.string().min(1).max(64) });

/** Who signs in from where: shown in the device list and recent sign-ins. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 256) : null };
}

export function registerAuthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post('/v1/accounts', async (request, reply) => {
    const input = parseInput(createAccountRequest, request.body);
    const caller = async () => (bearerToken(request) === undefined ? undefined : ctx.requireAuth(request));
    return reply.status(201).send(await createAccount(ctx, input, caller));
  });

  app.post('/v1/sessions', async (request) => {
    checkClientClock(request, ctx.clock);
    const signedIn = await login(ctx, parseInput(loginRequest, request.body), clientInfo(request));
    devicesChanged(ctx, signedIn.account.id);
    return signedIn;
  });

  app.post('/v1/sessions/refresh', async (request) => {
    checkClientClock(request, ctx.clock);
    return refresh(ctx, parseInput(refreshRequest, request.body).refreshToken);
  });

  app.get('/v1/account', async (request) => accountView(ctx, await ctx.requireAuth(request)));

  app.get('/v1/sessions', async (request) => ({ devices: await devices(ctx, await ctx.requireAuth(request)) }));

  app.get('/v1/account/sign-ins', async (request) => ({ signIns: await recentSignIns(ctx, await ctx.requireAuth(request)) }));

  app.delete('/v1/sessions/:id', async (request) => {
    const auth = await ctx.requireAuth(request);
    const answer = await signOutDevice(ctx, auth, parseInput(sessionIdParams, request.params, 'session id').id);
    devicesChanged(ctx, auth.accountId);
    return answer;
  });

  app.post('/v1/sessions/sign-out', async (request) => {
    const auth = await ctx.requireAuth(request);
    const answer = await signOut(ctx, auth, parseInput(signOutRequest, request.body).scope);
    devicesChanged(ctx, auth.accountId);
    return answer;
  });

  app.post('/v1/account/password', async (request) => {
    const auth = await ctx.requireAuth(request);
    const answer = await changePassword(ctx, auth, parseInput(changePasswordRequest, request.body), request.ip);
    devicesChanged(ctx, auth.accountId);
    return answer;
  });

  app.post('/v1/account/2fa/setup', async (request) => setupTwoFactor(ctx, await ctx.requireAuth(request)));

  app.post('/v1/account/2fa/enable', async (request) => {
    const auth = await ctx.requireAuth(request);
    const answer = await enableTwoFactor(ctx, auth, parseInput(twoFactorEnableRequest, request.body).code, request.ip);
    devicesChanged(ctx, auth.accountId);
    return answer;
  });

  app.post('/v1/account/2fa/disable', async (request) => {
    const auth = await ctx.requireAuth(request);
    await disableTwoFactor(ctx, auth, parseInput(twoFactorDisableRequest, request.body), request.ip);
    return accountView(ctx, auth);
  });
}
