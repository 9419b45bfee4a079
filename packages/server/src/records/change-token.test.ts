import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChangeToken, encodeChangeToken, isExpired } from './change-token.js';

describe('change tokens', () => {
  it('round-trip any position', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (seq, floor) => {
        const decoded = decodeChangeToken(encodeChangeToken({ seq, floor }));
        expect(decoded.seq).toBe(seq);
        expect(decoded.floor).toBe(floor > seq ? floor : 0);
      }),
    );
  });

  it('refuse anything else with BAD_REQUEST, never another error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        try {
          decodeChangeToken(text);
        } catch (error) {
          expect((error as { kind?: string }).kind).toBe('BAD_REQUEST');
        }
      }),
    );
  });

  it('expire once the horizon passes both seq and floor', () => {
    expect(isExpired({ seq: 5, floor: 0 }, 6)).toBe(true);
    expect(isExpired({ seq: 6, floor: 0 }, 6)).toBe(false);
    expect(isExpired({ seq: 2, floor: 9 }, 6)).toBe(false);
  });
});
