import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UploadTransfers } from './upload-transfers.js';

describe('UploadTransfers', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'nimbus-transfers-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Appends to the staged file, then tells the sink, as Staging does. */
  const append = async (path: string, sink: { wrote(bytes: number): void; room(): Promise<void> }, bytes: Buffer): Promise<void> => {
    await appendFile(path, bytes);
    sink.wrote(bytes.length);
    await sink.room();
  };

  it('keeps a running hash only while it covers exactly the staged bytes', async () => {
    const transfers = new UploadTransfers();
    const path = join(dir, 'u');
    await writeFile(path, '');
    const sink = transfers.hashAt('u', 0, path)!;
    await append(path, sink, Buffer.from('hel'));
    await append(path, sink, Buffer.from('lo'));
    transfers.settle('u', 5);
    await append(path, transfers.hashAt('u', 5, path)!, Buffer.from('!'));
    expect(await transfers.takeDigest('u', 6)).toBe(createHash('sha256').update('hello!').digest('hex'));
    expect(await transfers.takeDigest('u', 6)).toBeUndefined();
    await truncate(path, 0);
    await append(path, transfers.hashAt('u', 0, path)!, Buffer.alloc(7));
    transfers.settle('u', 6); // the file does not hold what was hashed
    expect(transfers.hashAt('u', 6, path)).toBeUndefined();
    expect(await transfers.takeDigest('u', 6)).toBeUndefined();
  });

  it('hashes a large file off the main thread as it grows, reading it back', async () => {
    const transfers = new UploadTransfers();
    const path = join(dir, 'big');
    await writeFile(path, '');
    const sink = transfers.hashAt('big', 0, path)!;
    const whole = createHash('sha256');
    let size = 0;
    for (let i = 0; i < 200; i++) {
      const chunk = Buffer.alloc(64 * 1024 + i, i);
      whole.update(chunk);
      size += chunk.length;
      await append(path, sink, chunk);
    }
    expect(await transfers.takeDigest('big', size)).toBe(whole.digest('hex'));
  });

  it('a staged file that vanished makes the digest fall back (undefined: hash from disk)', async () => {
    const transfers = new UploadTransfers();
    const path = join(dir, 'gone');
    await writeFile(path, '');
    const sink = transfers.hashAt('gone', 0, path)!;
    await appendFile(path, Buffer.alloc(10));
    await rm(path);
    sink.wrote(10);
    expect(await transfers.takeDigest('gone', 10)).toBeUndefined();
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
