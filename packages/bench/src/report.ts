// Turns the per-database results into the printed table and bench-output/server.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BlobResult } from './blob-bench.js';
import type { ConcurrencyResult } from './concurrency-bench.js';
import type { RateResult } from './records-bench.js';

export type DatabaseKind = 'sqlite' | 'postgres';

/** One database's figures; a bench that failed leaves its error instead. */
export interface DatabaseResults {
  batch?: RateResult;
  feed?: RateResult & { pages: number };
  /** N clients, each its own account. */
  concurrency?: ConcurrencyResult;
  /** N clients (devices) of one account: all behind the per-account lock. */
  concurrencyOneAccount?: ConcurrencyResult;
  blob?: BlobResult;
  errors: string[];
  skipped?: string;
}

interface Row {
  metric: string;
  sqlite: string;
  postgres: string;
  target: string;
  met: string;
}

const num = (value: number, digits = 0): string => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface Metric {
  metric: string;
  target: string;
  /** The value shown. */
  show: (r: DatabaseResults) => string | undefined;
  /** Whether the target is met; undefined when it does not apply to this database. */
  check?: (r: DatabaseResults, kind: DatabaseKind) => boolean | undefined;
}

const METRICS: Metric[] = [
  { metric: 'batch writes (records/s)', target: '≥ 20,000', show: (r) => r.batch && num(r.batch.perSecond), check: (r) => r.batch && r.batch.perSecond >= 20_000 },
  { metric: 'change feed (records/s)', target: '≥ 100,000', show: (r) => r.feed && num(r.feed.perSecond), check: (r) => r.feed && r.feed.perSecond >= 100_000 },
  {
    metric: 'small writes, one account per client (writes/s)',
    target: '≥ 5,000 (SQLite)',
    show: (r) => r.concurrency && num(r.concurrency.perSecond),
    check: (r, kind) => (kind === 'sqlite' && r.concurrency ? r.concurrency.perSecond >= 5_000 : undefined),
  },
  { metric: '  p50 (ms)', target: '', show: (r) => r.concurrency && num(r.concurrency.p50Ms, 1) },
  {
    metric: '  p99 (ms)',
    target: '< 50 (SQLite)',
    show: (r) => r.concurrency && num(r.concurrency.p99Ms, 1),
    check: (r, kind) => (kind === 'sqlite' && r.concurrency ? r.concurrency.p99Ms < 50 : undefined),
  },
  { metric: 'small writes, all clients one account (writes/s)', target: '', show: (r) => r.concurrencyOneAccount && num(r.concurrencyOneAccount.perSecond) },
  {
    metric: '  p50 / p99 (ms)',
    target: '',
    show: (r) => r.concurrencyOneAccount && `${num(r.concurrencyOneAccount.p50Ms, 1)} / ${num(r.concurrencyOneAccount.p99Ms, 1)}`,
  },
  { metric: 'blob upload MiB/s (best / median)', target: '', show: (r) => r.blob && `${num(r.blob.nimbusBest)} / ${num(r.blob.nimbusMedian)}` },
  { metric: 'bare fsync baseline MiB/s (best / median)', target: '', show: (r) => r.blob && `${num(r.blob.bareBest)} / ${num(r.blob.bareMedian)}` },
  {
    metric: 'blob / baseline (best / median)',
    target: '≥ 70 %',
    show: (r) => r.blob && `${num(r.blob.ratioBest * 100)} % / ${num(r.blob.ratioMedian * 100)} %`,
    check: (r) => r.blob && r.blob.ratioBest >= 0.7,
  },
];

export function buildRows(results: Record<DatabaseKind, DatabaseResults>): Row[] {
  return METRICS.map((m) => {
    const verdicts = (['sqlite', 'postgres'] as const)
      .map((kind) => {
        const verdict = m.check?.(results[kind], kind);
        return verdict === undefined ? undefined : `${kind === 'sqlite' ? 'sqlite' : 'pg'} ${verdict ? 'yes' : 'NO'}`;
      })
      .filter((v): v is string => v !== undefined);
    const cell = (kind: DatabaseKind): string => {
      const r = results[kind];
      if (r.skipped) return 'skipped';
      return m.show(r) ?? (r.errors.length > 0 ? 'failed' : '—');
    };
    return { metric: m.metric, sqlite: cell('sqlite'), postgres: cell('postgres'), target: m.target, met: verdicts.join(', ') };
  });
}

export function formatTable(rows: Row[]): string {
  const header: Row = { metric: 'metric', sqlite: 'sqlite', postgres: 'postgres', target: 'target', met: 'met?' };
  const all = [header, ...rows];
  const keys = ['metric', 'sqlite', 'postgres', 'target', 'met'] as const;
  const widths = keys.map((key) => Math.max(...all.map((row) => row[key].length)));
  const line = (row: Row): string => keys.map((key, i) => (i === 0 ? row[key].padEnd(widths[i] ?? 0) : row[key].padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export async function writeJson(file: string, content: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`);
}
