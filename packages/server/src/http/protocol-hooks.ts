// Every answer carries the server's time; clients too old for this server are told to update.
import { HEADERS, MIN_CLIENT_PROTOCOL, NimbusError } from '@nimbus/protocol';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';

/** `minClientProtocol`: the server's setting (NIMBUS_MIN_CLIENT_PROTOCOL), never below what this code still serves. */
export function installProtocolHooks(app: FastifyInstance, clock: Clock, minClientProtocol: number = MIN_CLIENT_PROTOCOL): void {
  const min = Math.max(minClientProtocol, MIN_CLIENT_PROTOCOL);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header(HEADERS.serverTime, String(clock.now()));
    void reply.header(HEADERS.requestId, request.id);
    const sent = request.headers[HEADERS.protocol];
    if (sent === undefined) return;
    const version = Number(Array.isArray(sent) ? sent[0] : sent);
    if (!Number.isInteger(version) || version < min) {
      throw new NimbusError('CLIENT_OUTDATED', `this server needs protocol ${min} or newer: update Nimbus`, {
        minProtocol: min,
      });
    }
  });
}
