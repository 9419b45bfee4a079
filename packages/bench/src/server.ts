// `npm run bench:server`: record, change-feed, concurrency and blob figures for real `nimbus serve`
// processes on SQLite and PostgreSQL. Figures are printed (and written to bench-output/server.json), never asserted.
// Quick run: BENCH_RECORDS=10000 BENCH_SECONDS=3 BENCH_BLOB_MB=100. BENCH_DBS=sqlite|postgres picks databases,
// BENCH_PARTS=records,concurrency,blob picks benches, BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the server.
import os from 'node:os';
import { join } from 'node:path';
import { signUp, signUpMany, type Api } from './api-client.js';
import { benchBlobUpload, startBareServer, type BareServer, type UploadPhases } from './blob-bench.js';
import { benchConcurrentWrites, type ConcurrencyResult } from './concurrency-bench.js';
import { createBenchDatabase, postgresAnswers, ADMIN_PG_URL, type BenchDatabase } from './pg-database.js';
import { benchBatchWrites, benchChangeFeed } from './records-bench.js';
import { buildRows, formatTable, writeJson, type DatabaseKind, type DatabaseResults } from './report.js';
import { REPO_ROOT, startServerProcess } from './server-process.js';
import { positiveInt } from './env.js';

const settings = {
  records: positiveInt('BENCH_RECORDS', 100_000),
  seconds: positiveInt('BENCH_SECONDS', 10),
  blobMiB: positiveInt('BENCH_BLOB_MB', 1024),
  clients: positiveInt('BENCH_CLIENTS', 64),
  rounds: positiveInt('BENCH_ROUNDS', 2),
  batchSize: 1000,
  inFlight: 4,
  feedPage: 5000,
  databases: (process.env['BENCH_DBS'] ?? 'sqlite,postgres').split(',').map((s) => s.trim()),
  parts: (process.env['BENCH_PARTS'] ?? 'records,concurrency,blob').split(',').map((s) => s.trim()),
};
const serverNodeArgs = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);

const log = (text: string): void => void process.stdout.write(`${text}\n`);
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    loadavg: os.loadavg().map((v) => Number(v.toFixed(2))),
    totalMemGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    freeMemGiB: Number((os.freemem() / 2 ** 30).toFixed(1)),
  };
}

async function attempt(results: DatabaseResults, what: string, run: () => Promise<void>): Promise<void> {
  try {
    gc();
    await run();
  } catch (error) {
    const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    results.errors.push(message);
    log(`  ! ${message.split('\n')[0]}`);
  }
}

function logConcurrency(c: ConcurrencyResult): void {
  const failures = c.errors + c.non2xx + c.notOk;
  log(
    `  ${c.clients} clients, ${c.accounts} account(s), ${c.seconds.toFixed(1)} s: ${c.committed} committed = ${Math.round(c.perSecond)} writes/s, ` +
      `p50 ${c.p50Ms.toFixed(1)} ms, p99 ${c.p99Ms.toFixed(1)} ms, max ${c.maxMs.toFixed(1)} ms` +
      (failures > 0 ? ` (errors ${c.errors}, non-2xx ${c.non2xx}, not ok ${c.notOk})` : ''),
  );
}

async function benchDatabase(kind: DatabaseKind, bare: BareServer | undefined, roundBase: number): Promise<DatabaseResults> {
  const results: DatabaseResults = { errors: [] };
  let database: BenchDatabase | undefined;
  if (kind === 'postgres') {
    if (!(await postgresAnswers())) {
      log(`PostgreSQL at ${ADMIN_PG_URL} does not answer: PostgreSQL benches skipped`);
      return { errors: [], skipped: 'PostgreSQL does not answer' };
    }
    database = await createBenchDatabase();
  }
  const server = await startServerProcess({ db: database?.url, nodeArgs: serverNodeArgs });
  log(`\n== ${kind}: nimbus serve pid ${server.pid} at ${server.url}`);
  try {
    let api: Api | undefined;
    await attempt(results, 'sign up', async () => {
      api = await signUp(server.url);
    });
    if (!api) return results;
    const session = api;
    if (settings.parts.includes('records')) {
      await attempt(results, 'batch writes', async () => {
        results.batch = await benchBatchWrites(session, settings.records, settings.batchSize, settings.inFlight);
        log(`  batch writes: ${results.batch.records} records in ${results.batch.seconds.toFixed(2)} s = ${Math.round(results.batch.perSecond)} records/s`);
      });
      await attempt(results, 'change feed', async () => {
        results.feed = await benchChangeFeed(session, results.batch?.records ?? 0, settings.feedPage);
        log(`  change feed: ${results.feed.records} records, ${results.feed.pages} pages in ${results.feed.seconds.toFixed(2)} s = ${Math.round(results.feed.perSecond)} records/s`);
      });
    }
    if (settings.parts.includes('concurrency')) {
      await attempt(results, 'concurrent small writes', async () => {
        const tokens = await signUpMany(session.base, settings.clients);
        results.concurrency = await benchConcurrentWrites(session.base, tokens, settings.clients, settings.seconds);
        logConcurrency(results.concurrency);
      });
      await attempt(results, 'concurrent small writes, one account', async () => {
        results.concurrencyOneAccount = await benchConcurrentWrites(session.base, [session.token], settings.clients, settings.seconds);
        logConcurrency(results.concurrencyOneAccount);
      });
    }
    if (settings.parts.includes('blob') && bare) {
      await attempt(results, 'blob upload', async () => {
        const b = await benchBlobUpload(session, bare, settings.blobMiB, settings.rounds, roundBase);
        results.blob = b;
        const list = (values: number[]): string => values.map((v) => v.toFixed(0)).join(', ');
        log(`  blob ${b.sizeMiB} MiB: nimbus [${list(b.nimbusMiBps)}] MiB/s, bare [${list(b.bareMiBps)}] MiB/s, ratio best ${(b.ratioBest * 100).toFixed(0)} %, median ${(b.ratioMedian * 100).toFixed(0)} %`);
        const phase = (p: UploadPhases): string => `${p.create.toFixed(2)}+${p.put.toFixed(2)}+${p.complete.toFixed(2)} s`;
        log(`    nimbus create+PUT+complete: ${b.nimbusPhases.map(phase).join(', ')}`);
      });
    }
    session.agent.destroy();
  } finally {
    await server.stop();
    await database?.drop();
  }
  return results;
}

async function main(): Promise<void> {
  const before = machine();
  log(`Nimbus server bench — ${new Date().toISOString()}`);
  log(`machine: ${String(before['cpus'])} × ${String(before['cpuModel'])}, node ${process.version}, loadavg ${JSON.stringify(before['loadavg'])} (1/5/15 min; > ~0.5 means other work is running and figures are noisy)`);
  log(`settings: ${settings.records} records, ${settings.clients} clients × ${settings.seconds} s, blob ${settings.blobMiB} MiB × ${settings.rounds} rounds`);
  const bare = settings.parts.includes('blob') ? await startBareServer() : undefined;
  const results: Record<DatabaseKind, DatabaseResults> = {
    sqlite: { errors: [], skipped: 'not selected' },
    postgres: { errors: [], skipped: 'not selected' },
  };
  try {
    let roundBase = Date.now() % 1_000_000;
    for (const kind of ['sqlite', 'postgres'] as const) {
      if (!settings.databases.includes(kind)) continue;
      results[kind] = await benchDatabase(kind, bare, roundBase);
      roundBase += settings.rounds;
    }
  } finally {
    await bare?.stop();
  }
  const after = machine();
  const rows = buildRows(results);
  log(`\n${formatTable(rows)}`);
  log(`\nloadavg after: ${JSON.stringify(after['loadavg'])}; the load generator shares the ${String(after['cpus'])} cores with the server.`);
  const file = join(REPO_ROOT, 'bench-output', 'server.json');
  await writeJson(file, { date: new Date().toISOString(), machine: { before, after }, settings, rows, results });
  log(`figures written to ${file}`);
  const failed = Object.values(results).flatMap((r) => r.errors);
  if (failed.length > 0) {
    log(`\n${failed.length} bench(es) failed:\n${failed.map((e) => `  - ${e}`).join('\n')}`);
    process.exitCode = 1;
  }
}

await main();
