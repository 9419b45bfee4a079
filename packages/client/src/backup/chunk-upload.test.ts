import type { BlobCheckResponse, BlobPackEntry, BlobPackResponse } from '@nimbus/protocol';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { InlineHasher, WorkerHasher, type ChunkHasher } from './chunk-hasher.js';
import { ChunkUploader, type ChunkTransport } from './chunk-upload.js';

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A server in memory: what it holds, and every pack it was sent. */
function fakeServer(held: Iterable<string> = []) {
  const stored = new Map<string, Buffer>();
  const have = new Set(held);
  const packs: BlobPackEntry[][] = [];
  const transport: ChunkTransport = {
    checkBlobs: (hashes): Promise<BlobCheckResponse> =>
      Promise.resolve({ present: hashes.filter((h) => have.has(h)), missing: hashes.filter((h) => !have.has(h)) }),
    sendBlobPack: (entries, bodies): Promise<BlobPackResponse> => {
      packs.push([...entries]);
      entries.forEach((entry, i) => {
        // Copied: the uploader reuses its pack buffers.
        stored.set(entry.sha256, Buffer.from(bodies[i]!));
        have.add(entry.sha256);
      });
      return Promise.resolve({ results: entries.map((e) => ({ sha256: e.sha256, status: 'stored' as const })) });
    },
  };
  /** The server loses a blob (an old backup deleted meanwhile). */
  const lose = (hash: string): void => {
    have.delete(hash);
    stored.delete(hash);
  };
  return { transport, stored, packs, lose };
}

describe.each([
  ['on this thread', () => new InlineHasher()],
  ['on a worker', () => new WorkerHasher()],
])('ChunkUploader hashing %s', (_name, makeHasher: () => ChunkHasher) => {
  let hasher: ChunkHasher | undefined;
  afterEach(async () => {
    await hasher?.close();
  });

  it('hashes each chunk where it lies, sends every new one once, byte-exact, and counts what the server had', async () => {
    hasher = makeHasher();
    const known = randomBytes(5000);
    const server = fakeServer([sha(known)]);
    const uploader = new ChunkUploader(server.transport, { hasher });
    // A reused window, as the file reader hands out: each chunk must be taken before the window changes.
    const window = Buffer.alloc(1024 * 1024);
    const chunks = Array.from({ length: 40 }, () => randomBytes(300_000));
    const order = [...chunks, chunks[3]!, known, chunks[7]!];
    const hashes: Promise<string>[] = [];
    for (const chunk of order) {
      chunk.copy(window);
      hashes.push((await uploader.addChunk(window.subarray(0, chunk.length))).sha256);
      window.fill(0);
    }
    const counts = await uploader.finish();
    expect(await Promise.all(hashes)).toEqual(order.map(sha));
    expect(counts).toEqual({ sentChunks: 40, sentBytes: 40 * 300_000, presentChunks: 1, presentBytes: 5000 });
    for (const chunk of chunks) expect(server.stored.get(sha(chunk))?.equals(chunk)).toBe(true);
    expect(server.packs.flat()).toHaveLength(40);
    expect(server.packs.length).toBeGreaterThan(1);
  });

  it('takes a piece whose hash the caller knows, and sends a chunk the server lost again once told to forget it', async () => {
    hasher = makeHasher();
    const server = fakeServer();
    const piece = randomBytes(1000);
    const chunk = randomBytes(2000);
    const uploader = new ChunkUploader(server.transport, { hasher });
    await uploader.add(sha(piece), piece);
    await uploader.addChunk(chunk);
    await uploader.finish();
    // Met again in the same run (a retry): not sent twice.
    await uploader.addChunk(chunk);
    await uploader.finish();
    expect(server.packs.flat().map((e) => e.sha256)).toEqual([sha(piece), sha(chunk)]);
    server.lose(sha(chunk));
    uploader.forget([sha(chunk)]);
    await uploader.addChunk(chunk);
    await uploader.finish();
    expect(server.packs.flat().map((e) => e.sha256)).toEqual([sha(piece), sha(chunk), sha(chunk)]);
    expect(server.stored.get(sha(chunk))?.equals(chunk)).toBe(true);
  });
});
