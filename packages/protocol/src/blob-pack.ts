// The body of POST /v1/blobs/pack: many small blobs in one request, framed so neither side copies the bytes.
import { NimbusError } from './errors.js';
import { LIMITS } from './limits.js';
import { blobPackHeader, type BlobPackEntry } from './blobs.js';

/** Content type of a pack body. */
export const BLOB_PACK_CONTENT_TYPE = 'application/vnd.nimbus.blob-pack';

/** Bytes of the length prefix that opens a pack. */
const PREFIX_BYTES = 4;

/** The largest body a pack can have: prefix, the longest header, the most content. */
export const BLOB_PACK_MAX_BODY_BYTES = PREFIX_BYTES + LIMITS.blobPackHeaderMaxBytes + LIMITS.blobPackMaxBytes;

/**
 * Frames a pack: a 4-byte big-endian header length, the UTF-8 JSON header `{"blobs":[{sha256,size,zone}…]}`,
 * then each blob's bytes in header order, nothing after. Returns the pieces to send one after another.
 */
export function encodeBlobPack(entries: readonly BlobPackEntry[], bodies: readonly Uint8Array[]): Uint8Array[] {
  if (entries.length !== bodies.length) throw new TypeError('one body per entry');
  const header = new TextEncoder().encode(JSON.stringify({ blobs: entries }));
  const prefix = new Uint8Array(PREFIX_BYTES);
  new DataView(prefix.buffer).setUint32(0, header.length);
  return [prefix, header, ...bodies];
}

export interface DecodedBlobPack {
  entries: BlobPackEntry[];
  /** Views into the body, one per entry. */
  bodies: Uint8Array[];
}

/** Parses a pack body; a BAD_REQUEST says what is wrong (shape, sizes, a truncated or overlong body). */
export function decodeBlobPack(body: Uint8Array): DecodedBlobPack {
  if (body.length < PREFIX_BYTES) throw bad('the body is shorter than its 4-byte header length');
  const headerBytes = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0);
  if (headerBytes > LIMITS.blobPackHeaderMaxBytes) throw bad(`the header is ${headerBytes} bytes; at most ${LIMITS.blobPackHeaderMaxBytes}`);
  if (PREFIX_BYTES + headerBytes > body.length) throw bad('the body ends inside the header (truncated)');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes)));
  } catch {
    throw bad('the header is not UTF-8 JSON');
  }
  const parsed = blobPackHeader.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    throw new NimbusError('BAD_REQUEST', 'the pack header is not {"blobs":[{sha256,size,zone}…]} within the limits', { issues });
  }
  const entries = parsed.data.blobs;
  const seen = new Set<string>();
  let total = 0;
  for (const entry of entries) {
    if (seen.has(entry.sha256)) throw bad(`blob ${entry.sha256} is announced twice`);
    seen.add(entry.sha256);
    total += entry.size;
  }
  if (total > LIMITS.blobPackMaxBytes) {
    throw new NimbusError('PAYLOAD_TOO_LARGE', `a pack carries at most ${LIMITS.blobPackMaxBytes} bytes of blobs; this one announces ${total}`, {
      limit: LIMITS.blobPackMaxBytes,
    });
  }
  const expected = PREFIX_BYTES + headerBytes + total;
  if (body.length < expected) throw bad(`the header announces ${total} bytes of blobs but ${body.length - PREFIX_BYTES - headerBytes} arrived (truncated)`);
  if (body.length > expected) throw bad(`${body.length - expected} bytes follow the last announced blob`);
  const bodies: Uint8Array[] = [];
  let offset = PREFIX_BYTES + headerBytes;
  for (const entry of entries) {
    bodies.push(body.subarray(offset, offset + entry.size));
    offset += entry.size;
  }
  return { entries, bodies };
}

const bad = (message: string): NimbusError => new NimbusError('BAD_REQUEST', message);
