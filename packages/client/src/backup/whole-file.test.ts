import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WHOLE_FILE_MAX_BYTES, WholeFileReader } from './whole-file.js';

describe('small files read whole', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-whole-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads each file whole into one reused buffer, an empty one too', async () => {
    const reader = new WholeFileReader();
    const a = randomBytes(WHOLE_FILE_MAX_BYTES);
    const b = randomBytes(10);
    await writeFile(join(dir, 'a'), a);
    await writeFile(join(dir, 'b'), b);
    await writeFile(join(dir, 'empty'), '');
    const first = reader.read(join(dir, 'a'), a.length);
    expect('bytes' in first && first.bytes.equals(a)).toBe(true);
    const second = reader.read(join(dir, 'b'), b.length);
    expect('bytes' in second && second.bytes.equals(b)).toBe(true);
    expect('bytes' in first && 'bytes' in second && first.bytes.buffer).toBe('bytes' in second && second.bytes.buffer);
    const empty = reader.read(join(dir, 'empty'), 0);
    expect('bytes' in empty && empty.bytes.length).toBe(0);
  });

  it('tells a file that grew since the scan (to be streamed) and one that shrank (its bytes now)', async () => {
    const reader = new WholeFileReader();
    await writeFile(join(dir, 'f'), randomBytes(1000));
    expect(reader.read(join(dir, 'f'), 999)).toEqual({ grew: true });
    const shrunk = reader.read(join(dir, 'f'), 5000);
    expect('bytes' in shrunk && shrunk.bytes.length).toBe(1000);
  });

  it('returns the file system error of a file it cannot read', () => {
    const answer = new WholeFileReader().read(join(dir, 'missing'), 10);
    expect('error' in answer && (answer.error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
