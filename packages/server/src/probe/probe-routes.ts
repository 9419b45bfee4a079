// Unauthenticated: the captive-portal / time probe, health and metrics.
import { PROBE_MARKER, PROTOCOL_VERSION, type ProbeResponse } from '@nimbus/protocol';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { MetadataStore } from '../db/metadata-store.js';
import { sql } from 'kysely';

/** Registered on the main app and on the plain-HTTP probe listener. */
export function registerProbeRoutes(app: FastifyInstance, clock: Clock): void {
  app.get('/v1/probe', async (_request, reply) => {
    const body: ProbeResponse = { probe: PROBE_MARKER, protocol: PROTOCOL_VERSION, serverTime: clock.now() };
    return reply.header('cache-control', 'no-store').send(body);
  });
}

export function registerHealthRoute(app: FastifyInstance, store: MetadataStore): void {
  app.get('/healthz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(store.db);
      return reply.send({ status: 'ok' });
    } catch {
      return reply.status(503).send({ status: 'unavailable', detail: 'the metadata database does not answer' });
    }
  });
}
