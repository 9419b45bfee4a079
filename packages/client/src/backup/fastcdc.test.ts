import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BACKUP_CHUNK_SIZES, FastCdc, GEAR } from './fastcdc.js';

/** Deterministic pseudo-random bytes (xorshift32), so every run chunks the same data. */
function randomBuffer(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function chunkHashes(cdc: FastCdc, data: Buffer): string[] {
  const hashes: string[] = [];
  let start = 0;
  for (const length of cdc.lengths(data)) {
    hashes.push(sha(data.subarray(start, start + length)));
    start += length;
  }
  return hashes;
}

describe('FastCDC', () => {
  const cdc = new FastCdc();
  const { minSize, avgSize, maxSize } = BACKUP_CHUNK_SIZES;
  const data = randomBuffer(48 * 1024 * 1024, 42);

  it('has a fixed gear table (changing it would lose every old chunk)', () => {
    expect(GEAR).toHaveLength(256);
    expect(new Set(GEAR).size).toBe(256);
    expect(sha(new Uint8Array(GEAR.buffer))).toBe('2e24f01ff658337765ee543afafc5de6d596176faf5b9be13c59423d3d570c3c');
    expect([GEAR[0], GEAR[255]]).toEqual([1187842255, 549674754]);
  });

  it('is deterministic and covers the input exactly', () => {
    const lengths = cdc.lengths(data);
    expect(cdc.lengths(Buffer.from(data))).toEqual(lengths);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(data.length);
  });

  it('keeps chunks within min and max, the last one excepted, and near the average', () => {
    const lengths = cdc.lengths(data);
    for (const length of lengths.slice(0, -1)) {
      expect(length).toBeGreaterThanOrEqual(minSize);
      expect(length).toBeLessThanOrEqual(maxSize);
    }
    const mean = data.length / lengths.length;
    // Normalized chunking centres the sizes a little above the average (the minimum is skipped).
    expect(mean).toBeGreaterThan(avgSize * 0.8);
    expect(mean).toBeLessThan(avgSize * 1.5);
    const atMax = lengths.filter((l) => l === maxSize).length;
    expect(atMax / lengths.length).toBeLessThan(0.05);
  });

  it('keeps boundaries stable under an insertion: only the chunks around the edit change', () => {
    const before = chunkHashes(cdc, data);
    const edited = Buffer.concat([data.subarray(0, 5_000_000), Buffer.from('a few inserted bytes'), data.subarray(5_000_000)]);
    const after = chunkHashes(cdc, edited);
    const changed = after.filter((h) => !before.includes(h));
    // The edited chunk, maybe its neighbour before the boundaries meet again; everything else is found again.
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(changed.length).toBeLessThanOrEqual(2);
    const afterEdit = after.slice(after.indexOf(changed[changed.length - 1]!) + 1);
    expect(before.slice(before.length - afterEdit.length)).toEqual(afterEdit);
  });

  it('keeps boundaries stable under a deletion and a prepend', () => {
    const before = new Set(chunkHashes(cdc, data));
    const cut = Buffer.concat([data.subarray(0, 20_000_000), data.subarray(20_000_100)]);
    expect(chunkHashes(cdc, cut).filter((h) => !before.has(h)).length).toBeLessThanOrEqual(2);
    const prepended = Buffer.concat([Buffer.from('header'), data]);
    expect(chunkHashes(cdc, prepended).filter((h) => !before.has(h)).length).toBeLessThanOrEqual(2);
  });

  it('cuts at the maximum when the content never matches (all zeros)', () => {
    const zeros = Buffer.alloc(5 * maxSize + 10);
    const lengths = cdc.lengths(zeros);
    expect(lengths.slice(0, 5)).toEqual([maxSize, maxSize, maxSize, maxSize, maxSize]);
    expect(lengths[5]).toBe(10);
  });

  it('takes a short input whole', () => {
    expect(cdc.lengths(Buffer.alloc(0))).toEqual([]);
    expect(cdc.lengths(randomBuffer(minSize, 1))).toEqual([minSize]);
  });

  it('refuses sizes it cannot build masks for', () => {
    expect(() => new FastCdc({ minSize: 10, avgSize: 1000, maxSize: 4000 })).toThrow(RangeError);
    expect(() => new FastCdc({ minSize: 2048, avgSize: 1024, maxSize: 4096 })).toThrow(RangeError);
  });
});
