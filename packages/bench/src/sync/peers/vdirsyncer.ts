// vdirsyncer headless: a folder of .vcf files paired with one CardDAV addressbook (collections = null).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runProcess, type ProcessRun } from '../process-run.js';
import { RADICALE_USER } from './radicale.js';

export interface Vdirsyncer {
  /** The local folder of cards. */
  folder: string;
  discover(): Promise<ProcessRun>;
  sync(): Promise<ProcessRun>;
}

export async function setUpVdirsyncer(dir: string, collectionUrl: string): Promise<Vdirsyncer> {
  const folder = join(dir, 'cards');
  const status = join(dir, 'status');
  await mkdir(folder, { recursive: true });
  await mkdir(status, { recursive: true });
  const config = join(dir, 'vdirsyncer.conf');
  await writeFile(
    config,
    [
      '[general]',
      `status_path = "${status}/"`,
      '',
      '[pair bench]',
      'a = "bench_local"',
      'b = "bench_remote"',
      'collections = null',
      '',
      '[storage bench_local]',
      'type = "filesystem"',
      `path = "${folder}/"`,
      'fileext = ".vcf"',
      '',
      '[storage bench_remote]',
      'type = "carddav"',
      `url = "${collectionUrl}"`,
      `username = "${RADICALE_USER}"`,
      `password = "${RADICALE_USER}"`,
      '',
    ].join('\n'),
  );
  const run = async (command: string): Promise<ProcessRun> => {
    const result = await runProcess('vdirsyncer', ['-c', config, command], { cwd: dir, timeoutMs: 30 * 60_000 });
    if (result.code !== 0) throw new Error(`vdirsyncer ${command} exited ${result.code}:\n${result.stdout.slice(-1500)}\n${result.stderr.slice(-1500)}`);
    return result;
  };
  return { folder, discover: () => run('discover'), sync: () => run('sync') };
}
