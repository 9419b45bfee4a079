// `npm run bench:backup`: a generated tree (unique and duplicated data) backed up by `nimbus backup create` against a real
// `nimbus serve`, and by restic into a local repository, in the same run: first backup, then again after a 1 % change —
// time (spawn to exit) and bytes stored — plus FastCDC's chunking speed on one core. Printed, never asserted.
// Each time is the median of three rounds, the tools taking turns (one run is at the mercy of whatever else the
// machine does that moment): a round is a first backup into a fresh account and a fresh repository, a 1 % change,
// and a re-backup. Stored bytes are the first round's (BENCH_BACKUP_ROUNDS sets how many rounds).
// BENCH_BACKUP_MB sets the tree's size (default 1024); BENCH_ROOT puts the tree and repositories elsewhere.
import { FastCdc } from '@nimbus/client';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { positiveInt } from '../env.js';
import { REPO_ROOT, startServerProcess } from '../server-process.js';
import { writeJson } from '../report.js';
import { BenchDevice } from '../sync/device.js';
import { log } from '../sync/settings.js';
import { formatTable, type Row } from '../sync/table.js';
import { folderBytes } from './du.js';
import { Restic, resticAvailable } from './restic.js';
import { changeOnePercent, generateTree } from './tree.js';

const MiB = 1024 * 1024;

interface Run {
  seconds: number;
  storedBytes: number;
}

/** A backup of every round: the median time, every round's time, and the first round's stored bytes. */
interface Rounds extends Run {
  runs: number[];
}

interface Results {
  treeBytes: number;
  changedBytes: number;
  chunkingMBps: number;
  nimbus: { first: Rounds; second: Rounds; sentFirst: number; sentSecond: number };
  restic?: { first: Rounds; second: Rounds };
}

/**
 * Writes the tree's dirty pages out before a timed run: otherwise the kernel flushes the freshly written GiB in the
 * background during whichever tool's run comes when its pages expire (30 s), on the same disk and cores.
 */
function settleWrites(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

/** FastCDC over 256 MiB of random bytes in memory, one core, best of three. */
function chunkingSpeed(): number {
  const data = randomBytes(256 * MiB);
  const cdc = new FastCdc();
  let best = 0;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    cdc.lengths(data);
    best = Math.max(best, data.length / 1e6 / ((performance.now() - started) / 1000));
  }
  return best;
}

async function main(): Promise<void> {
  const sizeMB = positiveInt('BENCH_BACKUP_MB', 1024);
  const base = process.env['BENCH_ROOT'] ?? tmpdir();
  const free = await statfs(base);
  const rounds = positiveInt('BENCH_BACKUP_ROUNDS', 3);
  const need = sizeMB * MiB * (1.5 + 2 * rounds);
  if (free.bavail * free.bsize < need) throw new Error(`${base} has ${Math.round((free.bavail * free.bsize) / MiB)} MiB free; the bench needs ${Math.round(need / MiB)} MiB (the tree and each tool's backups of ${rounds} rounds)`);
  log(`Nimbus backup bench — ${new Date().toISOString()}: a ${sizeMB} MiB tree`);
  const root = await mkdtemp(join(base, 'nimbus-bench-backup-'));
  const server = await startServerProcess();
  try {
    const tree = join(root, 'tree');
    const treeBytes = await generateTree(tree, sizeMB * MiB);
    settleWrites();
    log(`tree: ${(treeBytes / MiB).toFixed(0)} MiB written under ${tree}`);
    const chunkingMBps = chunkingSpeed();
    log(`FastCDC chunking: ${chunkingMBps.toFixed(0)} MB/s on one core`);

    const device = await BenchDevice.create(root, 'device');
    await device.createAccountAndLogin(server.url);
    const nimbusBackup = async (device: BenchDevice): Promise<{ run: Run; sent: number }> => {
      const run = await device.cli(['backup', 'create', tree, '--json']);
      const sent = (JSON.parse(run.stdout) as { upload: { sentBytes: number } }).upload.sentBytes;
      return { run: { seconds: run.seconds, storedBytes: await folderBytes(server.dataDir) }, sent };
    };
    const haveRestic = resticAvailable();
    if (!haveRestic) log('restic is not installed (apt-get install -y restic): its column stays empty');
    const newRestic = async (name: string): Promise<Restic | undefined> => {
      if (!haveRestic) return undefined;
      const restic = new Restic(join(root, name));
      await restic.init();
      return restic;
    };
    const restic = await newRestic('restic-repo');
    const resticBackup = async (restic: Restic | undefined): Promise<Run | undefined> => {
      if (!restic) return undefined;
      const run = await restic.backup(tree);
      return { seconds: run.seconds, storedBytes: await folderBytes(restic.repo) };
    };

    const n1 = await nimbusBackup(device);
    log(`nimbus first backup: ${n1.run.seconds.toFixed(2)} s, ${(n1.run.storedBytes / MiB).toFixed(1)} MiB stored`);
    const r1 = await resticBackup(restic);
    if (r1) log(`restic first backup: ${r1.seconds.toFixed(2)} s, ${(r1.storedBytes / MiB).toFixed(1)} MiB stored`);
    const changedBytes = await changeOnePercent(tree, treeBytes);
    settleWrites();
    log(`changed ${(changedBytes / MiB).toFixed(1)} MiB (1 %)`);
    const n2 = await nimbusBackup(device);
    log(`nimbus second backup: ${n2.run.seconds.toFixed(2)} s, ${(n2.run.storedBytes / MiB).toFixed(1)} MiB stored`);
    const r2 = await resticBackup(restic);
    if (r2) log(`restic second backup: ${r2.seconds.toFixed(2)} s, ${(r2.storedBytes / MiB).toFixed(1)} MiB stored`);

    // More rounds, the tools taking turns, each into an account or repository of its own.
    const times = { nimbusFirst: [n1.run.seconds], nimbusSecond: [n2.run.seconds], resticFirst: r1 ? [r1.seconds] : [], resticSecond: r2 ? [r2.seconds] : [] };
    for (let round = 2; round <= rounds; round++) {
      const fresh = await BenchDevice.create(root, `device-${round}`);
      await fresh.createAccountAndLogin(server.url);
      const repo = await newRestic(`restic-repo-${round}`);
      settleWrites();
      const nf = await nimbusBackup(fresh);
      const rf = await resticBackup(repo);
      await changeOnePercent(tree, treeBytes);
      settleWrites();
      const ns = await nimbusBackup(fresh);
      const rs = await resticBackup(repo);
      if (repo) await rm(repo.repo, { recursive: true, force: true });
      times.nimbusFirst.push(nf.run.seconds);
      times.nimbusSecond.push(ns.run.seconds);
      if (rf && rs) {
        times.resticFirst.push(rf.seconds);
        times.resticSecond.push(rs.seconds);
      }
      const pair = (n: number, r: Run | undefined): string => `nimbus ${n.toFixed(2)} s${r ? `, restic ${r.seconds.toFixed(2)} s` : ''}`;
      log(`round ${round} of ${rounds}: first backup ${pair(nf.run.seconds, rf)}; re-backup ${pair(ns.run.seconds, rs)}`);
    }
    const rounded = (run: Run, runs: number[]): Rounds => ({ ...run, seconds: median(runs), runs });

    const results: Results = {
      treeBytes,
      changedBytes,
      chunkingMBps,
      nimbus: { first: rounded(n1.run, times.nimbusFirst), second: rounded(n2.run, times.nimbusSecond), sentFirst: n1.sent, sentSecond: n2.sent },
      ...(r1 && r2 ? { restic: { first: rounded(r1, times.resticFirst), second: rounded(r2, times.resticSecond) } } : {}),
    };
    log(`\n${formatTable(rows(results))}`);
    await writeJson(join(REPO_ROOT, 'bench-output', 'backup.json'), results);
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function rows(r: Results): Row[] {
  const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
  const s = (seconds: number): string => `${seconds.toFixed(2)} s`;
  const time = (metric: string, nimbus: Run, restic: Run | undefined): Row => {
    const ratio = restic ? restic.seconds / nimbus.seconds : undefined;
    return { metric, nimbus: s(nimbus.seconds), peer: restic ? s(restic.seconds) : '—', ratio: ratio ? `${ratio.toFixed(2)}× faster` : '', target: 'time ≤ restic', met: ratio === undefined ? '' : ratio >= 1 ? 'yes' : 'NO' };
  };
  const stored = (metric: string, nimbus: Run, restic: Run | undefined): Row => {
    const ratio = restic ? nimbus.storedBytes / restic.storedBytes : undefined;
    return { metric, nimbus: mib(nimbus.storedBytes), peer: restic ? mib(restic.storedBytes) : '—', ratio: ratio ? `${(ratio * 100).toFixed(1)} %` : '', target: '≤ 110 %', met: ratio === undefined ? '' : ratio <= 1.1 ? 'yes' : 'NO' };
  };
  const runs = (backups: Rounds | undefined): string => (backups ? backups.runs.map((seconds) => seconds.toFixed(2)).join(' / ') : '');
  const each = { metric: '  each round (s)', ratio: '', target: '', met: '' };
  return [
    time(`first backup of ${mib(r.treeBytes)}, median of ${r.nimbus.first.runs.length}`, r.nimbus.first, r.restic?.first),
    { ...each, nimbus: runs(r.nimbus.first), peer: runs(r.restic?.first) },
    stored('  stored after it (round 1)', r.nimbus.first, r.restic?.first),
    time(`re-backup after changing ${mib(r.changedBytes)}, median of ${r.nimbus.second.runs.length}`, r.nimbus.second, r.restic?.second),
    { ...each, nimbus: runs(r.nimbus.second), peer: runs(r.restic?.second) },
    stored('  stored after it (round 1)', r.nimbus.second, r.restic?.second),
    { metric: '  nimbus sent (new chunks) first / second', nimbus: `${mib(r.nimbus.sentFirst)} / ${mib(r.nimbus.sentSecond)}`, peer: '', ratio: '', target: '', met: '' },
    { metric: 'FastCDC chunking, one core', nimbus: `${r.chunkingMBps.toFixed(0)} MB/s`, peer: '', ratio: '', target: '≥ 500 MB/s', met: r.chunkingMBps >= 500 ? 'yes' : 'NO' },
  ];
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:backup failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
