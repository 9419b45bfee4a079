// FastCDC content-defined chunking (Xia et al., "FastCDC: a Fast and Efficient Content-Defined Chunking
// Approach for Data Deduplication", USENIX ATC 2016): a Gear rolling hash, cut-point skipping below the
// minimum size, and normalized chunking (a harder mask before the average size, an easier one after it).
// Written here: npm has no maintained FastCDC package (only Rabin chunkers, native or WASM, and Python ports).
import { createHash } from 'node:crypto';

export interface ChunkSizes {
  minSize: number;
  /** A power of two: the masks are built from its bit count. */
  avgSize: number;
  maxSize: number;
}

/**
 * Backups use 256 KiB / 512 KiB / 1 MiB rather than restic's 512 KiB / 1 MiB / 8 MiB: every chunk then fits a
 * blob pack (LIMITS.blobPackBlobMaxBytes = 1 MiB), so chunks travel hundreds per request instead of one upload
 * session each, and the smaller average finds more duplicates. Normalization level 2 keeps the sizes tight:
 * past the average, a cut is 4× likelier per byte, so under 2 % of chunks reach the maximum.
 */
export const BACKUP_CHUNK_SIZES: ChunkSizes = { minSize: 256 * 1024, avgSize: 512 * 1024, maxSize: 1024 * 1024 };

/** Bits more (before the average) and fewer (after it) than log2(avg) in the masks: the paper's level 2. */
const NORMALIZATION = 2;

/**
 * The Gear table: 256 pseudo-random 32-bit values. Derived from SHA-256 so it never changes — a different
 * table moves every boundary, and no chunk of an old backup would be found again.
 */
export const GEAR: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) table[i] = createHash('sha256').update(`nimbus fastcdc gear ${i}`).digest().readUInt32BE(0);
  return table;
})();
/** The same table read as int32: the hot loop stays in V8's small-integer arithmetic. */
const GEAR_I32 = new Int32Array(GEAR.buffer);

/**
 * A mask of `bits` one-bits in the high end of the 32-bit fingerprint. Bit k of a Gear hash depends on the
 * last k+1 bytes, so high bits give each cut decision a window of up to 32 bytes (the paper spreads its
 * 64-bit masks for the same reason).
 */
function highMask(bits: number): number {
  return bits >= 32 ? -1 : ~((1 << (32 - bits)) - 1) | 0;
}

export class FastCdc {
  readonly sizes: ChunkSizes;
  readonly #maskS: number;
  readonly #maskL: number;

  constructor(sizes: ChunkSizes = BACKUP_CHUNK_SIZES) {
    const bits = Math.log2(sizes.avgSize);
    if (!Number.isInteger(bits) || !(sizes.minSize > 0 && sizes.minSize <= sizes.avgSize && sizes.avgSize <= sizes.maxSize)) {
      throw new RangeError('chunk sizes need 0 < min ≤ avg ≤ max with avg a power of two');
    }
    this.sizes = sizes;
    this.#maskS = highMask(bits + NORMALIZATION);
    this.#maskL = highMask(bits - NORMALIZATION);
  }

  /**
   * The length of the chunk that starts at `start` in `data[start, end)`. With fewer than maxSize bytes
   * available and more to come (`final` false), the caller should bring more bytes first: a cut found
   * now could differ from the one found with the whole stream.
   */
  cut(data: Uint8Array, start = 0, end = data.length): number {
    const { minSize, avgSize, maxSize } = this.sizes;
    let n = end - start;
    if (n <= minSize) return n;
    if (n > maxSize) n = maxSize;
    const normal = Math.min(n, avgSize);
    const gear = GEAR_I32;
    const maskS = this.#maskS;
    const maskL = this.#maskL;
    let fp = 0;
    let i = start + minSize;
    const normalEnd = start + normal;
    for (; i < normalEnd; i++) {
      fp = ((fp << 1) + gear[data[i]!]!) | 0;
      if ((fp & maskS) === 0) return i + 1 - start;
    }
    const stop = start + n;
    for (; i < stop; i++) {
      fp = ((fp << 1) + gear[data[i]!]!) | 0;
      if ((fp & maskL) === 0) return i + 1 - start;
    }
    return n;
  }

  /** Every chunk length of a whole buffer, in order. */
  lengths(data: Uint8Array): number[] {
    const out: number[] = [];
    for (let start = 0; start < data.length; ) {
      const length = this.cut(data, start);
      out.push(length);
      start += length;
    }
    return out;
  }
}
