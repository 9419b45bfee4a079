// (b) N notes + contacts written fast through POST /v1/records/batch, then pulled by a fresh device's `nimbus sync`;
// (e) that device process's peak memory.
import type { BatchWriteResponse } from '@nimbus/protocol';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { requestJson } from '../../api-client.js';
import { bareCreateRate } from '../create-baseline.js';
import { BenchDevice } from '../device.js';
import { pullRecord } from '../pull-data.js';
import { log, type Settings } from '../settings.js';

export interface PullResult {
  records: number;
  writeSeconds: number;
  pullSeconds: number;
  received: number;
  filesOnDisk: number;
  perSecond: number;
  peakRssMB: number | null;
  /** Bare file creation on the same disk, files/s (measured just before the pull). */
  bareCreatePerSecond: number;
}

const BATCH = 1000;
const IN_FLIGHT = 4;

async function writeRecords(server: string, email: string, password: string, count: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  try {
    const session = await requestJson<{ accessToken: string }>(agent, server, 'POST', '/v1/sessions', { email, password, deviceName: 'bench-writer' });
    const started = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const from = next;
        next = Math.min(count, next + BATCH);
        const writes = Array.from({ length: next - from }, (_, i) => pullRecord(from + i));
        const answer = await requestJson<BatchWriteResponse>(agent, server, 'POST', '/v1/records/batch', { writes }, session.accessToken);
        const bad = answer.results.find((r) => r.status !== 'ok');
        if (bad) throw new Error(`batch at ${from}: ${JSON.stringify(bad).slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    return (performance.now() - started) / 1000;
  } finally {
    agent.destroy();
  }
}

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).length;
}

export async function benchPull(server: string, root: string, settings: Settings, profileDir: string | undefined): Promise<PullResult> {
  const records = settings.pullRecords;
  const writer = await BenchDevice.create(root, 'pull-writer');
  const { email, password } = await writer.createAccountAndLogin(server);
  const writeSeconds = await writeRecords(server, email, password, records);
  log(`  ${records} records written through the API in ${writeSeconds.toFixed(2)} s (${Math.round(records / writeSeconds)} records/s)`);
  const bareCreatePerSecond = bareCreateRate(join(root, 'bare-create'), records);
  log(`  bare file creation on this disk (the floor under a pull): ${Math.round(bareCreatePerSecond)} files/s`);
  const reader = await BenchDevice.create(root, 'pull-reader');
  await reader.login(server, email);
  const run = await reader.sync(profileDir);
  const filesOnDisk = (await countFiles(reader.folder('Notes'))) + (await countFiles(reader.folder('Contacts')));
  const peakRssMB = run.peakRssBytes === null ? null : run.peakRssBytes / 1e6;
  log(
    `  fresh device pulled ${run.received} records in ${run.seconds.toFixed(2)} s = ${Math.round(records / run.seconds)} records/s; ` +
      `${filesOnDisk} files on disk; peak RSS ${peakRssMB === null ? 'unknown' : `${peakRssMB.toFixed(0)} MB`}`,
  );
  return { records, writeSeconds, pullSeconds: run.seconds, received: run.received, filesOnDisk, perSecond: records / run.seconds, peakRssMB, bareCreatePerSecond };
}
