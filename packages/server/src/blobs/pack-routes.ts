// POST /v1/blobs/pack: its own body parser (a framed binary body, read into reused buffers up to the pack limit) and auth before the body.
import { BLOB_PACK_CONTENT_TYPE, BLOB_PACK_MAX_BODY_BYTES, BLOB_ROUTES, NimbusError } from '@nimbus/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { ServerContext } from '../context.js';
import { BodyBufferPool, readBody } from './pack-body.js';
import { storeBlobPack } from './pack-upload.js';

export async function registerBlobPackRoute(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const callers = new WeakMap<FastifyRequest, string>();
  // Two packs in flight per backup, a few backups at once; beyond that, buffers are made and dropped.
  const bodies = new BodyBufferPool(BLOB_PACK_MAX_BODY_BYTES, 4);
  await app.register((scope, _options, registered) => {
    // Who is calling is settled before the body is read: a stranger's 8 MiB are never buffered.
    scope.addHook('onRequest', async (request) => {
      callers.set(request, (await ctx.requireAuth(request)).accountId);
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(BLOB_PACK_CONTENT_TYPE, (request: FastifyRequest, payload: IncomingMessage) => {
      const declared = request.headers['content-length'];
      return readBody(payload, declared === undefined ? undefined : Number(declared), bodies);
    });
    scope.addContentTypeParser('*', (_request, _payload, done) =>
      done(new NimbusError('BAD_REQUEST', `send the pack as ${BLOB_PACK_CONTENT_TYPE}`)),
    );
    scope.post(BLOB_ROUTES.pack, { bodyLimit: BLOB_PACK_MAX_BODY_BYTES }, async (request) => {
      const accountId = callers.get(request);
      if (accountId === undefined) throw new NimbusError('UNAUTHENTICATED', 'sign in first');
      if (!Buffer.isBuffer(request.body)) throw new NimbusError('BAD_REQUEST', `send the pack as ${BLOB_PACK_CONTENT_TYPE}`);
      try {
        return await storeBlobPack(ctx, accountId, request.body);
      } finally {
        // Every write from the body has settled (stored, or deleted again): its buffer serves the next pack.
        bodies.give(request.body);
      }
    });
    registered();
  });
}
