// `npm run bench:sync`: the device side, with real processes — a `nimbus serve` on SQLite and devices running
// `nimbus sync` with their own NIMBUS_HOME and NIMBUS_LIBRARY. Figures are printed (and written to
// bench-output/sync.json), never asserted. (a) vCards vs vdirsyncer + Radicale, (b)+(e) a fresh device's pull and
// its peak memory, (c) many small files, (d) one big file vs the bare fsync baseline.
// BENCH_ROOT=DIR puts the devices' folders there. Quick run: BENCH_CARDS=200 BENCH_PULL_RECORDS=10000 BENCH_FILES=1000 BENCH_BIG_MB=100. BENCH_PARTS=a,b,c,d picks
// parts; BENCH_PROFILE=1 writes CPU profiles of every device `nimbus sync` to bench-output/profiles/. BENCH_KEEP=1 keeps the
// run's folders (deleting 100,000s of files slows file creation on these disks for a while: see create-baseline.ts).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJson } from '../report.js';
import { REPO_ROOT, startServerProcess } from '../server-process.js';
import { benchBigFile } from './parts/big-file.js';
import { benchContacts } from './parts/contacts.js';
import { benchPull } from './parts/pull.js';
import { benchSmallFiles } from './parts/small-files.js';
import { log, settings } from './settings.js';
import { buildRows, formatTable, type SyncResults } from './table.js';

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return { node: process.version, cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', loadavg: os.loadavg().map((v) => Number(v.toFixed(2))) };
}

async function attempt(results: SyncResults, what: string, run: () => Promise<void>): Promise<void> {
  log(`\n== ${what}`);
  try {
    (globalThis as { gc?: () => void }).gc?.();
    await run();
  } catch (error) {
    const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    results.errors.push(message);
    log(`  ! ${message.split('\n').slice(0, 25).join('\n    ')}`);
  }
}

async function main(): Promise<void> {
  const before = machine();
  log(`Nimbus sync bench — ${new Date().toISOString()}`);
  log(`machine: ${String(before['cpus'])} × ${String(before['cpuModel'])}, node ${process.version}, loadavg ${JSON.stringify(before['loadavg'])}`);
  log(`settings: parts ${settings.parts.join(',')}; ${settings.cards} cards, ${settings.pullRecords} records pulled, ${settings.files} files of 4 KiB, big file ${settings.bigMiB} MiB`);
  const profileDir = settings.profile ? join(REPO_ROOT, 'bench-output', 'profiles') : undefined;
  const profile = async (name: string): Promise<string | undefined> => {
    if (!profileDir) return undefined;
    const dir = join(profileDir, name);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  const server = await startServerProcess({ nodeArgs: settings.serverNodeArgs });
  // BENCH_ROOT: where devices keep their libraries (default the temp folder; see create-baseline.ts on why it matters).
  const root = await mkdtemp(join(process.env['BENCH_ROOT'] ?? tmpdir(), 'nimbus-bench-sync-')).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  log(`nimbus serve (SQLite) pid ${server.pid} at ${server.url}; devices under ${root}`);
  const results: SyncResults = { errors: [] };
  try {
    if (settings.parts.includes('a')) await attempt(results, `(a) ${settings.cards} vCards: nimbus vs vdirsyncer + radicale`, async () => {
      results.contacts = await benchContacts(server.url, join(root, 'a'), settings, await profile('a-contacts'));
    });
    if (settings.parts.includes('b')) await attempt(results, `(b) a fresh device pulls ${settings.pullRecords} notes and contacts`, async () => {
      results.pull = await benchPull(server.url, join(root, 'b'), settings, await profile('b-pull'));
    });
    if (settings.parts.includes('c')) await attempt(results, `(c) ${settings.files} files of 4 KiB uploaded`, async () => {
      results.smallFiles = await benchSmallFiles(server.url, join(root, 'c'), settings, await profile('c-small-files'));
    });
    if (settings.parts.includes('d')) await attempt(results, `(d) one ${settings.bigMiB} MiB file uploaded`, async () => {
      results.bigFile = await benchBigFile(server.url, join(root, 'd'), settings, await profile('d-big-file'));
    });
  } finally {
    await server.stop();
    if (!process.env['BENCH_KEEP']) await rm(root, { recursive: true, force: true });
  }
  const rows = buildRows(results, settings.parts);
  log(`\n${formatTable(rows)}`);
  if (results.contacts?.peerSkipped) log(`(a) peer half skipped: ${results.contacts.peerSkipped}`);
  const warnings = results.contacts?.warnings ?? [];
  if (warnings.length > 0) log(`warnings:\n${warnings.map((w) => `  - ${w}`).join('\n')}`);
  const after = machine();
  log(`\nloadavg after: ${JSON.stringify(after['loadavg'])}; every process (server, device, peer) shares the ${String(after['cpus'])} cores.`);
  if (profileDir) log(`device CPU profiles in ${profileDir} (summary: node packages/bench/dist/sync/profile-summary.js DIR)`);
  const file = join(REPO_ROOT, 'bench-output', 'sync.json');
  await writeJson(file, { date: new Date().toISOString(), machine: { before, after }, settings, rows, results });
  log(`figures written to ${file}`);
  if (results.errors.length > 0) {
    log(`\n${results.errors.length} part(s) failed:\n${results.errors.map((e) => `  - ${e.split('\n')[0]}`).join('\n')}`);
    process.exitCode = 1;
  }
}

await main();
