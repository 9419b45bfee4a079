// The floor under (b): how fast this disk lets one process create small files, measured beside the pull in the
// same run. Each record of a pull becomes one file, so the pull cannot beat this; right after mass deletions (the
// previous run's clean-up, say) creating a file on ext4 without a journal costs hundreds of microseconds, and the
// figure shows it when that happens.
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Creates `count` files of `bytes` each in 20 folders under `dir` (like the pull's notes), fsyncs the folders; files/s.
 * The files stay (the caller removes `dir` at the end of the run): on ext4 without a journal, as on these machines,
 * a file created within seconds to minutes of many deletions is slow (the inode allocator steps over every recently
 * deleted inode: `recently_deleted()` in a kernel profile), so deleting them here would slow the pull measured next.
 */
export function bareCreateRate(dir: string, count: number, bytes = 300): number {
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
  return count / ((performance.now() - started) / 1000);
}
