import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UploadTransfers } from './upload-transfers.js';

describe('UploadTransfers', () => {
  it('keeps a running hash only while it covers exactly the staged bytes', async () => {
    const transfers = new UploadTransfers();
    const sink = transfers.hashAt('u', 0)!;
    sink.update([Buffer.from('hel'), Buffer.from('lo')], 5);
    await sink.room();
    transfers.settle('u', 5);
    transfers.hashAt('u', 5)!.update([Buffer.from('!')], 1);
    expect(await transfers.takeDigest('u', 6)).toBe(createHash('sha256').update('hello!').digest('hex'));
    expect(await transfers.takeDigest('u', 6)).toBeUndefined();
    transfers.hashAt('u', 0)!.update([Buffer.alloc(7)], 7);
    transfers.settle('u', 6); // fewer bytes reached the file than were hashed
    expect(transfers.hashAt('u', 6)).toBeUndefined();
    expect(await transfers.takeDigest('u', 6)).toBeUndefined();
  });

  it('hashes large inputs in batches off the main thread', async () => {
    const transfers = new UploadTransfers();
    const sink = transfers.hashAt('big', 0)!;
    const whole = createHash('sha256');
    let size = 0;
    for (let i = 0; i < 200; i++) {
      const chunk = Buffer.alloc(64 * 1024 + i, i);
      whole.update(chunk);
      size += chunk.length;
      sink.update([chunk], chunk.length);
    }
    expect(await transfers.takeDigest('big', size)).toBe(whole.digest('hex'));
  });

  it('runs one transfer at a time per upload; a newer PUT aborts the one in flight', async () => {
    const transfers = new UploadTransfers();
    const order: string[] = [];
    const first = transfers.exclusive('u', true, (signal) => new Promise<void>((resolve) => {
      order.push('first started');
      signal.addEventListener('abort', () => {
        order.push('first aborted');
        resolve();
      });
    }));
    await Promise.resolve();
    const second = transfers.exclusive('u', true, async () => void order.push('second ran'));
    const other = transfers.exclusive('v', false, async () => void order.push('other upload ran'));
    await Promise.all([first, second, other]);
    expect(order.indexOf('second ran')).toBeGreaterThan(order.indexOf('first aborted'));
    expect(transfers.busy('u')).toBe(false);
  });
});
