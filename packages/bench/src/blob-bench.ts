// Bench 4: one large blob uploaded to Nimbus vs the bare fsync baseline, alternately, N rounds each.
import { UPLOAD_OFFSET_HEADER, type UploadView } from '@nimbus/protocol';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { baseHeaders, HttpError, requestJson, type Api } from './api-client.js';
import { blobSha256, blobStream, type BlobSpec } from './blob-data.js';
import { median } from './stats.js';

const MIB = 1024 * 1024;

export interface BareServer {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/** The baseline server in its own process, writing under a temp folder on the same disk as Nimbus's data. */
export async function startBareServer(): Promise<BareServer> {
  const dir = await mkdtemp(join(tmpdir(), 'nimbus-bench-bare-'));
  const script = join(dirname(fileURLToPath(import.meta.url)), 'bare-upload-server.js');
  const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const port = await new Promise<number>((done, fail) => {
    let text = '';
    child.stdout.on('data', (data: Buffer) => {
      text += data.toString();
      const match = /listening (\d+)/.exec(text);
      if (match) done(Number(match[1]));
    });
    void exited.then(() => fail(new Error('the bare upload server exited before listening')));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Streams the blob as one request body; resolves with the response body once answered 2xx. */
function streamBody(url: URL, headers: Record<string, string>, spec: BlobSpec): Promise<string> {
  return new Promise((done, fail) => {
    // A connection of its own, closed after the answer: nothing lingers in a pool between rounds.
    const req = http.request(url, { method: 'PUT', agent: false, headers: { ...headers, 'content-length': String(spec.size) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) done(text);
        else fail(new HttpError(status, text, `PUT ${url.pathname}`));
      });
      res.on('error', fail);
    });
    req.on('error', fail);
    pipeline(blobStream(spec), req).catch(fail);
  });
}

async function uploadBare(bare: BareServer, spec: BlobSpec): Promise<number> {
  const started = performance.now();
  await streamBody(new URL('/upload', bare.url), { 'content-type': 'application/octet-stream' }, spec);
  const seconds = (performance.now() - started) / 1000;
  for (const file of await readdir(bare.dir)) await rm(join(bare.dir, file), { force: true });
  return seconds;
}

/** Seconds spent in each step of one Nimbus upload. */
export interface UploadPhases {
  create: number;
  put: number;
  complete: number;
}

/** Create the upload session, stream the bytes, complete it: the whole durable upload is timed. */
async function uploadNimbus(api: Api, spec: BlobSpec, sha256: string): Promise<UploadPhases> {
  const started = performance.now();
  const session = await requestJson<UploadView>(api.agent, api.base, 'POST', '/v1/uploads', { sha256, size: spec.size, zone: 'drive' }, api.token);
  if (!session.uploadId) throw new Error('the server already had this blob: the bench blob must be new');
  if (session.offset !== 0) throw new Error(`a new upload starts at offset ${session.offset}`);
  const path = `/v1/uploads/${encodeURIComponent(session.uploadId)}`;
  const created = performance.now();
  await streamBody(new URL(path, api.base), {
    ...baseHeaders(api.token),
    [UPLOAD_OFFSET_HEADER]: '0',
    'content-type': 'application/octet-stream',
  }, spec);
  const put = performance.now();
  await requestJson(api.agent, api.base, 'POST', `${path}/complete`, undefined, api.token);
  const seconds = (from: number, to: number): number => (to - from) / 1000;
  return { create: seconds(started, created), put: seconds(created, put), complete: seconds(put, performance.now()) };
}

export interface BlobResult {
  sizeMiB: number;
  rounds: number;
  nimbusMiBps: number[];
  bareMiBps: number[];
  /** Where each Nimbus upload spent its time. */
  nimbusPhases: UploadPhases[];
  nimbusBest: number;
  nimbusMedian: number;
  bareBest: number;
  bareMedian: number;
  /** nimbusBest / bareBest and nimbusMedian / bareMedian. */
  ratioBest: number;
  ratioMedian: number;
}

export async function benchBlobUpload(api: Api, bare: BareServer, sizeMiB: number, rounds: number, roundBase: number): Promise<BlobResult> {
  const nimbus: number[] = [];
  const baseline: number[] = [];
  const phases: UploadPhases[] = [];
  for (let round = 0; round < rounds; round++) {
    const spec = { round: roundBase + round, size: sizeMiB * MIB };
    const sha256 = blobSha256(spec);
    baseline.push(sizeMiB / (await uploadBare(bare, spec)));
    const phase = await uploadNimbus(api, spec, sha256);
    phases.push(phase);
    nimbus.push(sizeMiB / (phase.create + phase.put + phase.complete));
  }
  const nimbusBest = Math.max(...nimbus);
  const bareBest = Math.max(...baseline);
  const nimbusMedian = median(nimbus);
  const bareMedian = median(baseline);
  return {
    sizeMiB,
    rounds,
    nimbusMiBps: nimbus,
    bareMiBps: baseline,
    nimbusPhases: phases,
    nimbusBest,
    nimbusMedian,
    bareBest,
    bareMedian,
    ratioBest: nimbusBest / bareBest,
    ratioMedian: nimbusMedian / bareMedian,
  };
}
