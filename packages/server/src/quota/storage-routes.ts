// HTTP surface of storage: the account's storage report, and the admin's quota setting.
import { setQuotaRequest } from '@nimbus/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseInput } from '../http/validate.js';
import { setAccountQuota } from './account-quota.js';
import { storageReport } from './storage-report.js';

const accountParams = z.strictObject({ id: z.string().min(1).max(100) });

export function registerStorageRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/v1/storage', async (request) => {
    const { accountId } = await ctx.requireAuth(request);
    return storageReport(ctx.store.db, accountId);
  });

  app.put('/v1/admin/accounts/:id/quota', async (request) => {
    const caller = await ctx.requireAuth(request);
    const { id } = parseInput(accountParams, request.params, 'account');
    const { quotaBytes } = parseInput(setQuotaRequest, request.body, 'quota');
    const view = await setAccountQuota(ctx.store.db, caller, id, quotaBytes);
    // The account's devices hear it on their long-poll: a raise resumes a storage pause at once.
    ctx.notifier.publish(id, { kind: 'storage' });
    return view;
  });
}
