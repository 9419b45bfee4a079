// The floor under (b): how fast this disk lets one process create small files, measured beside the pull in the
// same run. Each record of a pull becomes one file, so the pull cannot beat this; on some file systems (ext4
// without a journal, after mass deletions) creating a file costs hundreds of microseconds and swings from run
// to run, and the figure explains the pull's.
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Creates `count` files of `bytes` each in 20 folders under `dir` (like the pull's notes), fsyncs the folders; files/s. */
export async function bareCreateRate(dir: string, count: number, bytes = 300): Promise<number> {
  const body = Buffer.alloc(bytes, 'n');
  const folders = Array.from({ length: 20 }, (_, i) => join(dir, `folder-${i}`));
  for (const folder of folders) mkdirSync(folder, { recursive: true });
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const fd = openSync(join(folders[i % 20] as string, `file-${i}.md`), 'wx');
    writeSync(fd, body);
    closeSync(fd);
  }
  for (const folder of folders) {
    const fd = openSync(folder, 'r');
    fsyncSync(fd);
    closeSync(fd);
  }
  const seconds = (performance.now() - started) / 1000;
  await rm(dir, { recursive: true, force: true });
  return count / seconds;
}
