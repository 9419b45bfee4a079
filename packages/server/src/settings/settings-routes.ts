// HTTP surface of the account's per-service switches (GET/PUT /v1/account/services).
import { accountServicesUpdate } from '@nimbus/protocol';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { parseInput } from '../http/validate.js';
import { readAccountServices, updateAccountServices } from './account-services.js';

export function registerSettingsRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/v1/account/services', async (request) => {
    const { accountId } = await ctx.requireAuth(request);
    return readAccountServices(ctx.store.reader, accountId);
  });

  app.put('/v1/account/services', async (request) => {
    const auth = await ctx.requireAuth(request);
    return updateAccountServices(ctx, auth, parseInput(accountServicesUpdate, request.body, 'services'));
  });
}
