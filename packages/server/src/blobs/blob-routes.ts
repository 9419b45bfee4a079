// HTTP routes of blobs and resumable uploads: parse, call the service, map the answer.
import {
  BLOB_ROUTES,
  LIMITS,
  NimbusError,
  UPLOAD_OFFSET_HEADER,
  isNimbusError,
  blobCheckRequest,
  createUploadRequest,
} from '@nimbus/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseInput } from '../http/validate.js';
import { checkBlobs, openBlob } from './blob-reads.js';
import { registerBlobPackRoute } from './pack-routes.js';
import { uploadService } from './upload-service.js';

const idParams = z.object({ id: z.string() });
const shaParams = z.object({ sha256: z.string() });

export async function registerBlobRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const uploads = uploadService(ctx);

  // 1,000 hashes of 64 hex characters plus JSON punctuation are ~67 KB: above the default JSON limit.
  app.post(BLOB_ROUTES.check, { bodyLimit: LIMITS.blobCheckMaxHashes * 80 + 1024 }, async (request) => {
    const { accountId } = await ctx.requireAuth(request);
    const input = parseInput(blobCheckRequest, request.body);
    return checkBlobs(ctx, accountId, input.hashes);
  });

  app.post(BLOB_ROUTES.uploads, async (request, reply) => {
    const { accountId } = await ctx.requireAuth(request);
    const input = parseInput(createUploadRequest, request.body);
    const outcome = await uploads.create(accountId, input);
    return reply.status(outcome.created ? 201 : 200).send(outcome.view);
  });

  app.get(BLOB_ROUTES.upload, async (request) => {
    const { accountId } = await ctx.requireAuth(request);
    return uploads.view(accountId, parseInput(idParams, request.params, 'path').id);
  });

  app.post(BLOB_ROUTES.complete, async (request) => {
    const { accountId } = await ctx.requireAuth(request);
    return uploads.complete(accountId, parseInput(idParams, request.params, 'path').id);
  });

  app.delete(BLOB_ROUTES.upload, async (request, reply) => {
    const { accountId } = await ctx.requireAuth(request);
    await uploads.cancel(accountId, parseInput(idParams, request.params, 'path').id);
    return reply.status(204).send();
  });

  const download = (withBody: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { accountId } = await ctx.requireAuth(request);
    const { sha256 } = parseInput(shaParams, request.params, 'path');
    const notModified = request.headers['if-none-match'] === `"${sha256}"`;
    let found;
    try {
      found = await openBlob(ctx, accountId, sha256, request.headers.range, withBody && !notModified);
    } catch (error) {
      const size = isNimbusError(error) && error.kind === 'RANGE_NOT_SATISFIABLE' ? error.details['size'] : undefined;
      if (typeof size === 'number') void reply.header('content-range', `bytes */${size}`);
      throw error;
    }
    // Headers only now: the hash is validated (it is the ETag, content-addressed and immutable).
    void reply.header('accept-ranges', 'bytes').header('etag', `"${found.sha256}"`);
    if (notModified) return reply.status(304).send();
    void reply.type('application/octet-stream');
    const { range, size } = found;
    if (range) void reply.status(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
    void reply.header('content-length', String(range ? range.end - range.start + 1 : size));
    return reply.send(found.body ?? null);
  };
  app.get(BLOB_ROUTES.blob, { exposeHeadRoute: false }, download(true));
  app.head(BLOB_ROUTES.blob, download(false));

  // The chunk PUT gets the raw request stream, unbuffered, whatever its content type.
  await app.register((scope, _options, registered) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scope.put(BLOB_ROUTES.upload, { bodyLimit: LIMITS.uploadChunkMaxBytes }, async (request, reply) => {
      try {
        const { accountId } = await ctx.requireAuth(request);
        const { id } = parseInput(idParams, request.params, 'path');
        const offset = headerInteger(request, UPLOAD_OFFSET_HEADER);
        if (offset === undefined) throw new NimbusError('BAD_REQUEST', `send the ${UPLOAD_OFFSET_HEADER} header: where this body starts`);
        const length = headerInteger(request, 'content-length');
        const body = request.body instanceof Readable ? request.body : Readable.from([]);
        return await uploads.write(accountId, id, offset, body, length);
      } catch (error) {
        // The rest of the body is unwanted (or the client is gone): close rather than read it to the end.
        if (!request.raw.complete) void reply.header('connection', 'close');
        throw error;
      }
    });
    registered();
  });

  await registerBlobPackRoute(app, ctx);
}

function headerInteger(request: FastifyRequest, name: string): number | undefined {
  const raw = request.headers[name];
  if (raw === undefined) return undefined;
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (text === undefined || !/^\d{1,16}$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw new NimbusError('BAD_REQUEST', `the ${name} header must be a whole number of bytes`);
  }
  return Number(text);
}
