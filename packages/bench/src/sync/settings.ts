// The bench's knobs, read once from the environment.
import { positiveInt } from '../env.js';
export type Part = 'a' | 'b' | 'c' | 'd';

function parts(): Part[] {
  const text = process.env['BENCH_PARTS'] ?? 'a,b,c,d';
  const chosen = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const p of chosen) if (!['a', 'b', 'c', 'd'].includes(p)) throw new Error(`BENCH_PARTS: unknown part "${p}" (a, b, c, d)`);
  return chosen as Part[];
}

export const settings = {
  /** (a) vCards pushed by Nimbus and by vdirsyncer to Radicale. */
  cards: positiveInt('BENCH_CARDS', 2000),
  /** (a) cards edited before the third sync. */
  edits: 10,
  /** (b) records a fresh device pulls. */
  pullRecords: positiveInt('BENCH_PULL_RECORDS', 100_000),
  /** (c) small files uploaded. */
  files: positiveInt('BENCH_FILES', 10_000),
  fileBytes: 4096,
  /** (d) size of the big file in MiB. */
  bigMiB: positiveInt('BENCH_BIG_MB', 1024),
  parts: parts(),
  /** "1": every device `nimbus sync` writes a V8 CPU profile under bench-output/profiles. */
  profile: process.env['BENCH_PROFILE'] === '1',
  /** Extra node flags for the server, e.g. --cpu-prof (like bench:server). */
  serverNodeArgs: (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
};

export type Settings = typeof settings;

export const log = (text: string): void => void process.stdout.write(`${text}\n`);
