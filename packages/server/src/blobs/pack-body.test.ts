import { NimbusError } from '@nimbus/protocol';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BodyBufferPool, readBody } from './pack-body.js';

const parts = (...sizes: number[]): Readable => Readable.from(sizes.map((size, i) => Buffer.alloc(size, i + 1)));

describe('pack bodies in reused buffers', () => {
  afterEach(() => vi.useRealTimers());

  it('reads a body into a pooled buffer and hands the same buffer to the next body once given back', async () => {
    const pool = new BodyBufferPool(100, 2);
    const first = await readBody(parts(30, 20), 50, pool);
    expect([...first]).toEqual([...Buffer.alloc(30, 1), ...Buffer.alloc(20, 2)]);
    pool.give(first);
    expect(pool.held).toBe(1);
    const second = await readBody(parts(10), undefined, pool);
    expect(second.buffer).toBe(first.buffer);
    expect([...second]).toEqual([...Buffer.alloc(10, 1)]);
  });

  it('refuses more than the pool size, announced or found while reading, and keeps the buffer', async () => {
    const pool = new BodyBufferPool(100, 2);
    await expect(readBody(parts(10), 101, pool)).rejects.toMatchObject({ kind: 'PAYLOAD_TOO_LARGE' });
    const refused = readBody(parts(60, 60), undefined, pool);
    await expect(refused).rejects.toBeInstanceOf(NimbusError);
    await expect(refused).rejects.toMatchObject({ kind: 'PAYLOAD_TOO_LARGE', details: { limit: 100 } });
    expect(pool.held).toBe(1);
  });

  it('holds at most `keep` buffers, none of another size, and none once idle', async () => {
    vi.useFakeTimers();
    const pool = new BodyBufferPool(100, 1, 1000);
    const a = pool.take();
    const b = pool.take();
    pool.give(a);
    pool.give(b);
    pool.give(Buffer.alloc(50));
    expect(pool.held).toBe(1);
    vi.advanceTimersByTime(1001);
    expect(pool.held).toBe(0);
  });
});
