// `nimbus services list | head -1`: the reader leaves after the first line; nimbus stops quietly, no stack trace.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { NIMBUS_BIN } from './testing/spawn-server.js';

it('a reader that closes the pipe early ends nimbus quietly with exit 0', async () => {
  const root = await mkdtemp(join(tmpdir(), 'nimbus-pipe-'));
  try {
    for (let run = 0; run < 3; run++) {
      const child = spawn(process.execPath, [NIMBUS_BIN, 'services', 'list'], {
        env: { ...process.env, NIMBUS_HOME: join(root, 'home'), NIMBUS_LIBRARY: root },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // Like `head -1`: read the first chunk, then close our end of the pipe.
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).not.toMatch(/EPIPE|Unhandled/);
      expect(code).toBe(0);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
