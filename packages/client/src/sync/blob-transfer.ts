// Moving blob bytes: resumable uploads from a local file, Range-resumed downloads into the downloads folder.
import { LIMITS, NimbusError, type Zone } from '@nimbus/protocol';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OutboxBlob } from '../store/outbox.js';
import type { SyncTransport } from './ports.js';

/** Told of bytes as they move, so the status shows byte progress and the stall watchdog sees a long transfer move. */
export interface Meter {
  /** `bytes` more are expected (a transfer starts, less what a resume skips). */
  expect(bytes: number): void;
  moved(bytes: number): void;
}

/** The pass's meter (the status's byte progress). */
export const meterOf = (ctx: { bytes?(done: number, total: number): void }): Meter => ({
  expect: (bytes) => ctx.bytes?.(0, bytes),
  moved: (bytes) => ctx.bytes?.(bytes, 0),
});

/**
 * Gets one blob onto the server: an upload session is created (or found again — the server keeps the
 * account's unfinished one per hash), bytes go from the server's offset in PUTs of up to `chunkBytes`, then
 * complete. A cut PUT resumes from the offset the server kept, not from the start of that PUT.
 * A file that changed since the scan fails to verify (UPLOAD_MISMATCH): the caller treats it as the item's error.
 */
export async function uploadBlob(
  transport: SyncTransport,
  blob: OutboxBlob,
  zone: Zone,
  chunkBytes: number,
  signal?: AbortSignal,
  meter?: Meter,
): Promise<void> {
  const current = await stat(blob.file);
  if (current.size !== blob.size) throw new NimbusError('UPLOAD_MISMATCH', `${blob.file} changed since it was scanned`);
  let view = await transport.createUpload({ sha256: blob.sha256, size: blob.size, zone }, signal);
  if (view.complete) return;
  const uploadId = view.uploadId;
  if (uploadId === undefined) throw new NimbusError('INTERNAL', 'the server gave no upload id');
  let offset = view.offset;
  let fruitless = 0;
  meter?.expect(blob.size - offset);
  while (offset < blob.size) {
    signal?.throwIfAborted();
    const end = Math.min(blob.size, offset + Math.min(chunkBytes, LIMITS.uploadChunkMaxBytes));
    // Bytes are shown as they go; what the server confirms settles the count (never shown twice).
    let shown = 0;
    const onBytes = (bytes: number): void => {
      shown += bytes;
      meter?.moved(bytes);
    };
    let reached: number;
    try {
      reached = (await transport.putUploadChunk(uploadId, blob.file, offset, end, signal, onBytes)).offset;
    } catch (error) {
      // A PUT cut short leaves the server at some offset of its own: ask, and go on from there. An early refusal
      // (a token that ran out) can be lost to the broken pipe: the GET refreshes the token, and one more PUT tells.
      if (signal?.aborted) throw error;
      const again = await transport.getUpload(uploadId, signal).catch(() => undefined);
      if (again === undefined || (again.offset === offset && ++fruitless > 1)) throw error;
      reached = again.offset;
    }
    if (reached > offset) fruitless = 0;
    meter?.moved(Math.max(0, reached - offset - shown));
    offset = reached;
  }
  view = await transport.completeUpload(uploadId, signal);
  if (!view.complete) throw new NimbusError('INTERNAL', 'the upload did not complete');
}

/**
 * Hashes per POST /v1/blobs/check: LIMITS.blobCheckMaxHashes (1000) would not fit the route's JSON body limit
 * (LIMITS.jsonBodyMaxBytes, 64 KiB; a hash is 67 bytes of JSON), so a request carries as many as fit.
 */
export const CHECK_HASHES = Math.min(LIMITS.blobCheckMaxHashes, Math.floor((LIMITS.jsonBodyMaxBytes - 64) / 67));

/** The blobs of `blobs` the server does not have yet (asked CHECK_HASHES at a time). */
export async function missingBlobs(transport: SyncTransport, hashes: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
  const unique = [...new Set(hashes)];
  const missing = new Set<string>();
  for (let i = 0; i < unique.length; i += CHECK_HASHES) {
    const answer = await transport.checkBlobs(unique.slice(i, i + CHECK_HASHES), signal);
    for (const sha of answer.missing) missing.add(sha);
  }
  return missing;
}

/**
 * Downloads a blob to `<dir>/<sha>` and returns that path: bytes go to `<sha>.part`, resumed with Range
 * from its size after a crash, the whole file is hash-checked, then renamed into place.
 */
export async function downloadBlob(transport: SyncTransport, sha256: string, dir: string, signal?: AbortSignal, meter?: Meter): Promise<string> {
  await mkdir(dir, { recursive: true });
  const done = join(dir, sha256);
  if (await exists(done)) return done;
  const part = `${done}.part`;
  for (let attempt = 0; attempt < 2; attempt++) {
    const have = (await stat(part).catch(() => undefined))?.size ?? 0;
    // A kill after the last byte but before the rename leaves a whole part: asking for more would get 416.
    if (have > 0 && (await hashFile(part)) === sha256) {
      await rename(part, done);
      return done;
    }
    let download;
    try {
      download = await transport.downloadBlob(sha256, have, signal);
    } catch (error) {
      if (!(error instanceof NimbusError && error.kind === 'RANGE_NOT_SATISFIABLE') || have === 0) throw error;
      await rm(part, { force: true }); // a part longer than the blob: start over
      continue;
    }
    // A server that ignores Range sends from 0: start the part file over.
    const append = download.start === have && have > 0;
    meter?.expect(download.size - download.start);
    const counter = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        meter?.moved(chunk.length);
        callback(null, chunk);
      },
    });
    await pipeline(download.body, counter, createWriteStream(part, { flags: append ? 'a' : 'w' }), ...(signal ? [{ signal }] : []));
    if ((await hashFile(part)) === sha256) {
      await rename(part, done);
      return done;
    }
    await rm(part, { force: true }); // corrupt or stale part: one clean retry from scratch
  }
  throw new NimbusError('UPLOAD_MISMATCH', `blob ${sha256} did not match its hash after download`);
}

export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
