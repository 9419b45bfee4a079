// Time-sensitive calls (sign-in, token refresh) refuse a client whose clock is too far off.
import { CLOCK_SKEW_TOLERANCE_MS, HEADERS, NimbusError } from '@nimbus/protocol';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';

/** Throws CLOCK_SKEW when the request's client-time header is off by more than the tolerance. */
export function checkClientClock(request: FastifyRequest, clock: Clock): void {
  const raw = request.headers[HEADERS.clientTime];
  if (raw === undefined) return;
  const clientTime = Number(Array.isArray(raw) ? raw[0] : raw);
  if (!Number.isFinite(clientTime)) throw new NimbusError('BAD_REQUEST', `${HEADERS.clientTime} must be ms since the epoch`);
  const serverTime = clock.now();
  const offsetMs = clientTime - serverTime;
  if (Math.abs(offsetMs) > CLOCK_SKEW_TOLERANCE_MS) {
    const hours = (offsetMs / 3_600_000).toFixed(1);
    throw new NimbusError('CLOCK_SKEW', `this device's clock is off by ${hours} hours: set the date and time automatically`, {
      serverTime,
      offsetMs,
    });
  }
}
