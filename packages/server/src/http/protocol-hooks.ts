// Every answer carries the server's time; clients too old for this server are told to update.
import { HEADERS, MIN_CLIENT_PROTOCOL, NimbusError } from '@nimbus/protocol';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';

export function installProtocolHooks(app: FastifyInstance, clock: Clock): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header(HEADERS.serverTime, String(clock.now()));
    void reply.header(HEADERS.requestId, request.id);
    const sent = request.headers[HEADERS.protocol];
    if (sent === undefined) return;
    const version = Number(Array.isArray(sent) ? sent[0] : sent);
    if (!Number.isInteger(version) || version < MIN_CLIENT_PROTOCOL) {
      throw new NimbusError('CLIENT_OUTDATED', `this server needs protocol ${MIN_CLIENT_PROTOCOL} or newer: update Nimbus`, {
        minProtocol: MIN_CLIENT_PROTOCOL,
      });
    }
  });
}
