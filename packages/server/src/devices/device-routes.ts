// HTTP surface of devices: the listing with each device's sync status (long-poll with `wait`), a device's own
// status report, and signing a device out.
import { deviceStatusReport, devicesQuery } from '@nimbus/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { signOutDevice } from '../auth/session-service.js';
import type { ServerContext } from '../context.js';
import { parseInput } from '../http/validate.js';
import { devicesChanged, devicesListing, reportDeviceStatus, waitForDevices } from './device-service.js';

const deviceParams = z.strictObject({ id: z.string().min(1).max(64) });

export function registerDeviceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Long-polls end (with what they have) when the server closes, so shutdown never waits for them.
  const closing = new AbortController();
  app.addHook('preClose', (done) => {
    closing.abort();
    done();
  });

  app.get('/v1/devices', async (request, reply) => {
    const auth = await ctx.requireAuth(request);
    const query = parseInput(devicesQuery, request.query, 'devices query');
    if (query.wait === 0 || query.since === undefined) return devicesListing(ctx, auth);
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    return waitForDevices(ctx, auth, query.since, query.wait * 1000, AbortSignal.any([closing.signal, gone.signal]));
  });

  app.put('/v1/devices/current/status', async (request) => {
    const auth = await ctx.requireAuth(request);
    return reportDeviceStatus(ctx, auth, parseInput(deviceStatusReport, request.body, 'device status'));
  });

  /** The same as DELETE /v1/sessions/:id, under the name the dashboard uses. */
  app.delete('/v1/devices/:id', async (request) => {
    const auth = await ctx.requireAuth(request);
    const answer = await signOutDevice(ctx, auth, parseInput(deviceParams, request.params, 'device id').id);
    devicesChanged(ctx, auth.accountId);
    return answer;
  });
}
