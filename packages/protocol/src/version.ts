// The wire protocol's version and the headers that carry version and time.

/** The protocol this code speaks. Bump on a breaking wire change. */
export const PROTOCOL_VERSION = 1;
/** The oldest client protocol the server still serves; older clients get 426 CLIENT_OUTDATED. */
export const MIN_CLIENT_PROTOCOL = 1;

export const HEADERS = {
  /** Request: the client's protocol version (integer). Absent means "current" (browsers, curl). */
  protocol: 'nimbus-protocol',
  /** Request: the client's clock, ms since epoch; checked on time-sensitive calls. */
  clientTime: 'nimbus-client-time',
  /** Response: the server's clock, ms since epoch, on every answer. */
  serverTime: 'nimbus-server-time',
  /** Response: the request id, to find the request in the server's log. */
  requestId: 'nimbus-request-id',
} as const;

/** How far a client's clock may be off on time-sensitive calls before CLOCK_SKEW. */
export const CLOCK_SKEW_TOLERANCE_MS = 5 * 60 * 1000;

/** The fixed body of GET /v1/probe (besides the time), for captive-portal detection. */
export const PROBE_MARKER = 'nimbus-probe';
