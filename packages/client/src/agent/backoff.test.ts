import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('grows exponentially under full jitter, stops at the cap, and resets on success', () => {
    const top = new Backoff({ baseMs: 1000, capMs: 10_000, random: () => 0.999999 });
    const delays = Array.from({ length: 6 }, () => top.next(0));
    expect(delays).toEqual([999, 1999, 3999, 7999, 9999, 9999]);
    top.reset();
    expect(top.attempts).toBe(0);
    expect(top.next(0)).toBe(999);
    const bottom = new Backoff({ random: () => 0 });
    expect(bottom.next(0)).toBe(0);
  });

  it("waits at least until the server's retryAt, even past the cap", () => {
    const backoff = new Backoff({ baseMs: 1000, capMs: 2000, random: () => 0.5 });
    expect(backoff.next(10_000, { retryAt: 70_000 })).toBe(60_000);
    expect(backoff.next(10_000, { retryAt: 5_000 })).toBe(1000);
  });
});
