// A stream that lets bytes through at a fixed rate: the slow link of FaultProxy's `slow` mode.
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** Pieces per second: small enough that the rate is smooth, large enough to keep timers few. */
const TICKS_PER_SECOND = 20;

/** Passes every byte on, `bytesPerSecond` at most, in pieces of a twentieth of a second. */
export function throttle(bytesPerSecond: number): Transform {
  if (!(bytesPerSecond > 0)) throw new RangeError(`bytesPerSecond must be positive, not ${bytesPerSecond}`);
  const piece = Math.max(1, Math.floor(bytesPerSecond / TICKS_PER_SECOND));
  const stream: Transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      void (async () => {
        for (let at = 0; at < chunk.length && !stream.destroyed; at += piece) {
          const slice = chunk.subarray(at, at + piece);
          stream.push(slice);
          await sleep((slice.length / bytesPerSecond) * 1000);
        }
        done();
      })();
    },
  });
  return stream;
}
