// The device's own conditions, made real: a clock set wrong under libfaketime, a small disk filled to the last byte.
import { execFileSync } from 'node:child_process';
import { open } from 'node:fs/promises';

/** What the `faketime` wrapper preloads (it knows the library's path on this system), or undefined without faketime. */
export function faketimePreload(): string | undefined {
  try {
    return execFileSync('faketime', ['-f', '+0', 'sh', '-c', 'printf %s "$LD_PRELOAD"'], { encoding: 'utf8' }) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The environment that runs a process under libfaketime with its offset read from `clockFile` at every clock call
 * (write "+3d" or "+0" into it while the process runs); monotonic clocks stay real.
 */
export function fakedClockEnv(preload: string, clockFile: string): NodeJS.ProcessEnv {
  return { LD_PRELOAD: preload, FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

/** Mounts a tmpfs of `size` on `dir` (root only); false where mounting is not allowed. */
export function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function unmount(dir: string): void {
  execFileSync('umount', [dir]);
}

/** Fills the file system holding `file` to the last byte. */
export async function fillDisk(file: string): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 1);
  const handle = await open(file, 'w');
  try {
    for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
      for (;;) {
        try {
          await handle.write(chunk.subarray(0, size));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    await handle.close();
  }
}
