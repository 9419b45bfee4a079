// HTTP routes of backups: parse, call the service, map the answer.
import { BACKUP_ROUTES, commitSnapshotRequest, retentionPolicy, type PolicyResponse, type SnapshotListResponse } from '@nimbus/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseInput } from '../http/validate.js';
import { commitSnapshot } from './backup-commit.js';
import { readPolicy, recentPrunes } from './backup-queries.js';
import { setPolicy } from './backup-pruning.js';
import { deleteSnapshot, snapshotView, snapshotViews } from './backup-service.js';

const idParams = z.strictObject({ id: z.string().regex(/^[0-9a-f]{1,64}$/, 'not a backup id') });

/** A commit names up to 10,000 manifest blobs (67 bytes of JSON each). */
const COMMIT_BODY_LIMIT = 1024 * 1024;

export function registerBackupRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post(BACKUP_ROUTES.snapshots, { bodyLimit: COMMIT_BODY_LIMIT }, async (request) => {
    const { accountId } = await ctx.requireAuth(request);
    return commitSnapshot(ctx, accountId, parseInput(commitSnapshotRequest, request.body, 'backup'), request.log);
  });

  app.get(BACKUP_ROUTES.snapshots, async (request): Promise<SnapshotListResponse> => {
    const { accountId } = await ctx.requireAuth(request);
    const [snapshots, policy, pruned] = await Promise.all([
      snapshotViews(ctx.store.db, accountId),
      readPolicy(ctx.store.db, accountId),
      recentPrunes(ctx.store.db, accountId),
    ]);
    return { snapshots, policy, pruned };
  });

  app.get(BACKUP_ROUTES.snapshot, async (request) => {
    const { accountId } = await ctx.requireAuth(request);
    return snapshotView(ctx, accountId, parseInput(idParams, request.params, 'path').id);
  });

  app.delete(BACKUP_ROUTES.snapshot, async (request) => {
    const { accountId } = await ctx.requireAuth(request);
    const { freedBytes } = await deleteSnapshot(ctx, accountId, parseInput(idParams, request.params, 'path').id, request.log);
    return { freedBytes };
  });

  app.put(BACKUP_ROUTES.policy, async (request): Promise<PolicyResponse> => {
    const { accountId } = await ctx.requireAuth(request);
    const policy = parseInput(retentionPolicy, request.body, 'policy');
    const pruned = await setPolicy(ctx, accountId, policy, request.log);
    return { policy, pruned };
  });
}
