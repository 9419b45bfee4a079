// HTTP surface of records: batch write, read one record, the change feed.
import { LIMITS, NimbusError, batchWriteRequest, changesQuery, isZone, recordIdSchema, zoneSchema, type Zone } from '@nimbus/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseInput } from '../http/validate.js';
import { writeBatch } from './batch-write.js';
import { waitForChangesJson } from './feed-wait.js';
import { getRecord, readChangesJson } from './records-service.js';

const recordParams = z.strictObject({ zone: zoneSchema, id: recordIdSchema });

export function registerRecordRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Long-polls end (with what they have) when the server closes, so shutdown never waits for them.
  const closing = new AbortController();
  app.addHook('preClose', (done) => {
    closing.abort();
    done();
  });

  app.post('/v1/records/batch', { bodyLimit: LIMITS.batchMaxBytes }, async (request) => {
    const { accountId } = await ctx.requireAuth(request);
    const body = parseInput(batchWriteRequest, request.body, 'batch');
    return writeBatch(ctx, accountId, body.writes, request.log);
  });

  app.get('/v1/records/:zone/:id', async (request) => {
    const { accountId } = await ctx.requireAuth(request);
    const { zone, id } = parseInput(recordParams, request.params, 'record address');
    return getRecord(ctx, accountId, zone, id);
  });

  app.get('/v1/changes', async (request, reply) => {
    const { accountId } = await ctx.requireAuth(request);
    const query = parseInput(changesQuery, request.query, 'changes query');
    const feed = { since: query.since, zones: parseZones(query.zones), limit: query.limit };
    let json: string;
    if (query.wait === 0) json = await readChangesJson(ctx, accountId, feed);
    else {
      // The client hanging up ends the wait too.
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      json = await waitForChangesJson(ctx, accountId, feed, query.wait * 1000, AbortSignal.any([closing.signal, gone.signal]));
    }
    return reply.type('application/json; charset=utf-8').send(json);
  });
}

/** `zones=notes,contacts` → the zones; absent or empty → all. */
function parseZones(raw: string | undefined): Zone[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  const zones = raw.split(',').map((z) => z.trim());
  const unknown = zones.find((z) => !isZone(z));
  if (unknown !== undefined) throw new NimbusError('BAD_REQUEST', `unknown zone ${JSON.stringify(unknown.slice(0, 40))}`);
  return [...new Set(zones as Zone[])];
}
