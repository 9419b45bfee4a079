import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncFs } from './sync-helper.js';

describe.runIf(process.platform === 'linux')('syncFs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-sync-helper-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers every caller, in order, true for a file and false for a missing one, whatever the name', async () => {
    const names = ['plain', 'with space ', ' lead', 'back\\slash', 'line\nbreak', 'ünïcode'];
    const files = names.map((name) => join(dir, name));
    await Promise.all(files.map((file) => writeFile(file, 'x')));
    const asks = [...files, join(dir, 'missing'), ...files].map((file) => syncFs(file));
    expect(await Promise.all(asks)).toEqual([...files.map(() => true), false, ...files.map(() => true)]);
  });

  it('does not keep an idle process alive', () => {
    const helper = fileURLToPath(new URL('./sync-helper.ts', import.meta.url)).replace('/src/', '/dist/').replace(/\.ts$/, '.js');
    const script = `import(${JSON.stringify(helper)}).then(async ({ syncFs }) => console.log(await syncFs(${JSON.stringify(dir)})))`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.signal).toBeNull();
    expect(run.stdout.trim()).toBe('true');
    expect(run.status).toBe(0);
  });
});
