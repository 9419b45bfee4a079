// (c) N files of 4 KiB (distinct bytes, 100 per folder) in Drive/, uploaded by one `nimbus sync`.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BenchDevice } from '../device.js';
import { log, type Settings } from '../settings.js';

export interface SmallFilesResult {
  files: number;
  seconds: number;
  sent: number;
  perSecond: number;
  peakRssMB: number | null;
}

export async function benchSmallFiles(server: string, root: string, settings: Settings, profileDir: string | undefined): Promise<SmallFilesResult> {
  const device = await BenchDevice.create(root, 'files-device');
  await device.createAccountAndLogin(server);
  const drive = device.folder('Drive');
  for (let i = 0; i < settings.files; i++) {
    const folder = join(drive, `folder-${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `file-${String(i).padStart(6, '0')}.bin`), randomBytes(settings.fileBytes));
  }
  const run = await device.sync(profileDir);
  const perSecond = settings.files / run.seconds;
  const peakRssMB = run.peakRssBytes === null ? null : run.peakRssBytes / 1e6;
  log(`  ${settings.files} files of ${settings.fileBytes / 1024} KiB: ${run.seconds.toFixed(2)} s = ${Math.round(perSecond)} files/s (${run.sent} sent; peak RSS ${peakRssMB?.toFixed(0) ?? '?'} MB)`);
  return { files: settings.files, seconds: run.seconds, sent: run.sent, perSecond, peakRssMB };
}
