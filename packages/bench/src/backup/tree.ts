// The generated tree of the backup bench: unique random data and duplicated files mixed, then a 1 % change.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MiB = 1024 * 1024;

export interface TreeShape {
  /** Bytes of the whole tree (about). */
  totalBytes: number;
}

/**
 * ~70 % unique data in big and medium files, ~25 % copies of some of them (a photo folder copied twice, a
 * downloaded installer kept in two places), ~5 % small files. Returns the bytes written.
 */
export async function generateTree(root: string, totalBytes: number): Promise<number> {
  let written = 0;
  const big = Math.max(1, Math.round((totalBytes * 0.5) / (32 * MiB)));
  const medium = Math.max(1, Math.round((totalBytes * 0.2) / MiB));
  const small = Math.max(1, Math.round((totalBytes * 0.05) / (16 * 1024)));
  await mkdir(join(root, 'videos'), { recursive: true });
  await mkdir(join(root, 'photos'), { recursive: true });
  await mkdir(join(root, 'docs'), { recursive: true });
  for (let i = 0; i < big; i++) written += await randomFile(join(root, 'videos', `clip-${i}.mp4`), 32 * MiB);
  for (let i = 0; i < medium; i++) written += await randomFile(join(root, 'photos', `IMG_${String(i).padStart(4, '0')}.jpg`), MiB + ((i * 7919) % (512 * 1024)));
  for (let i = 0; i < small; i++) {
    const dir = join(root, 'docs', `folder-${i % 40}`);
    await mkdir(dir, { recursive: true });
    written += await randomFile(join(dir, `note-${i}.txt`), 4096 + ((i * 104_729) % 24_000));
  }
  // Duplicates: copies of the first videos and photos under other names, until a quarter of the tree is copies.
  const copies = join(root, 'copies');
  await mkdir(copies, { recursive: true });
  let copied = 0;
  for (let i = 0; copied < totalBytes * 0.25 && i < big; i++) {
    await copyFile(join(root, 'videos', `clip-${i}.mp4`), join(copies, `clip-${i} (copy).mp4`));
    copied += 32 * MiB;
  }
  return written + copied;
}

async function randomFile(path: string, bytes: number): Promise<number> {
  await writeFile(path, randomBytes(bytes));
  return bytes;
}

/**
 * Changes 1 % of the tree's bytes: a new file of 0.5 %, and 0.5 % overwritten in place in the middle of the big
 * files (1 MiB each), so both tools must find the changed parts inside otherwise unchanged files.
 */
export async function changeOnePercent(root: string, totalBytes: number): Promise<number> {
  const newBytes = Math.round(totalBytes * 0.005);
  await writeFile(join(root, 'videos', 'new-clip.mp4'), randomBytes(newBytes));
  const edits = Math.max(1, Math.round((totalBytes * 0.005) / MiB));
  for (let i = 0; i < edits; i++) {
    const handle = await open(join(root, 'videos', `clip-${i}.mp4`), 'r+');
    try {
      await handle.write(randomBytes(MiB), 0, MiB, 8 * MiB + i * 4096);
    } finally {
      await handle.close();
    }
  }
  return newBytes + edits * MiB;
}
