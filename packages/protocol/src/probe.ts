import { z } from 'zod';
import { PROBE_MARKER } from './version.js';

/** GET /v1/probe: a fixed marker (anything else is a portal or a proxy) and the server's clock. */
export const probeResponse = z.object({
  probe: z.literal(PROBE_MARKER),
  protocol: z.number(),
  serverTime: z.number(),
});
export type ProbeResponse = z.infer<typeof probeResponse>;
