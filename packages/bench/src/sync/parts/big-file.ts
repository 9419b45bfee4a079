// (d) one big file in Drive/ uploaded by `nimbus sync`, against the bare fsync baseline (bare-upload-server.ts)
// receiving the same file's bytes in the same run (before and after Nimbus; the better one counts).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { blobStream } from '../../blob-data.js';
import { startBareServer, type BareServer } from '../../blob-bench.js';
import { BenchDevice } from '../device.js';
import { log, type Settings } from '../settings.js';

const MIB = 1024 * 1024;

export interface BigFileResult {
  sizeMiB: number;
  nimbusSeconds: number;
  nimbusMiBps: number;
  bareMiBps: number[];
  bareBest: number;
  ratio: number;
  peakRssMB: number | null;
}

/** The whole file as one PUT body into the bare server (a fresh connection), timed to its answer. */
function uploadBare(bare: BareServer, file: string, size: number): Promise<number> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const req = http.request(new URL('/upload', bare.url), { method: 'PUT', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) } }, (res) => {
      res.resume();
      res.on('end', () => ((res.statusCode ?? 0) < 300 ? done((performance.now() - started) / 1000) : fail(new Error(`bare upload answered ${res.statusCode}`))));
    });
    req.on('error', fail);
    pipeline(createReadStream(file, { highWaterMark: MIB }), req).catch(fail);
  });
}

async function bareRound(bare: BareServer, file: string, size: number): Promise<number> {
  const seconds = await uploadBare(bare, file, size);
  for (const name of await readdir(bare.dir)) await rm(join(bare.dir, name), { force: true });
  return size / MIB / seconds;
}

export async function benchBigFile(server: string, root: string, settings: Settings, profileDir: string | undefined): Promise<BigFileResult> {
  const device = await BenchDevice.create(root, 'big-device');
  await device.createAccountAndLogin(server);
  const drive = device.folder('Drive');
  await mkdir(drive, { recursive: true });
  const file = join(drive, 'big.bin');
  await pipeline(blobStream({ round: Date.now() % 1_000_000, size: settings.bigMiB * MIB }), createWriteStream(file));
  const { size } = await stat(file);
  const bare = await startBareServer();
  try {
    const bareMiBps = [await bareRound(bare, file, size)];
    const run = await device.sync(profileDir);
    bareMiBps.push(await bareRound(bare, file, size));
    const sizeMiB = size / MIB;
    const nimbusMiBps = sizeMiB / run.seconds;
    const bareBest = Math.max(...bareMiBps);
    const peakRssMB = run.peakRssBytes === null ? null : run.peakRssBytes / 1e6;
    log(
      `  ${sizeMiB} MiB file: nimbus sync ${run.seconds.toFixed(2)} s = ${nimbusMiBps.toFixed(0)} MiB/s (${run.sent} sent, peak RSS ${peakRssMB?.toFixed(0) ?? '?'} MB); ` +
        `bare [${bareMiBps.map((v) => v.toFixed(0)).join(', ')}] MiB/s; ratio ${((nimbusMiBps / bareBest) * 100).toFixed(0)} %`,
    );
    return { sizeMiB, nimbusSeconds: run.seconds, nimbusMiBps, bareMiBps, bareBest, ratio: nimbusMiBps / bareBest, peakRssMB };
  } finally {
    await bare.stop();
  }
}
