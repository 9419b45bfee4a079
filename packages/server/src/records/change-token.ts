// Change tokens: opaque to clients, a feed position to the server. Base64url of JSON {v:1, seq[, floor]}.
import { NimbusError } from '@nimbus/protocol';

/**
 * A position in an account's change feed.
 * - `seq`: every change up to this sequence number has been handed out.
 * - `floor`: only during a scan from scratch — records already deleted at or below this
 *   sequence are left out (the client never had them), so purging them cannot expire the token.
 */
export interface FeedPosition {
  seq: number;
  floor: number;
}

const VERSION = 1;

export function encodeChangeToken(position: FeedPosition): string {
  const body = position.floor > position.seq ? { v: VERSION, seq: position.seq, floor: position.floor } : { v: VERSION, seq: position.seq };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Throws BAD_REQUEST for anything this server did not hand out. */
export function decodeChangeToken(token: string): FeedPosition {
  const invalid = () => new NimbusError('BAD_REQUEST', 'the change token is not one this server issued: start from scratch without `since`');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) throw invalid();
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof body !== 'object' || body === null) throw invalid();
  const { v, seq, floor = 0 } = body as { v?: unknown; seq?: unknown; floor?: unknown };
  if (v !== VERSION || !isSeq(seq) || !isSeq(floor)) throw invalid();
  return { seq, floor };
}

/** True when purged tombstones (all at or below `horizon`) may include one this position still needs. */
export function isExpired(position: FeedPosition, horizon: number): boolean {
  return Math.max(position.seq, position.floor) < horizon;
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
