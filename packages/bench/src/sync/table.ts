// The printed table: metric, nimbus, peer/baseline, ratio, target, met?
import type { BigFileResult } from './parts/big-file.js';
import type { ContactsResult } from './parts/contacts.js';
import type { PullResult } from './parts/pull.js';
import type { SmallFilesResult } from './parts/small-files.js';

export interface SyncResults {
  contacts?: ContactsResult;
  pull?: PullResult;
  smallFiles?: SmallFilesResult;
  bigFile?: BigFileResult;
  errors: string[];
}

export interface Row {
  metric: string;
  nimbus: string;
  peer: string;
  ratio: string;
  target: string;
  met: string;
}

const num = (value: number, digits = 0): string => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const met = (ok: boolean | undefined): string => (ok === undefined ? '' : ok ? 'yes' : 'NO');

function contactRows(c: ContactsResult): Row[] {
  const peer = c.peer;
  const peerCell = (value: number | undefined): string => (value === undefined ? (c.peerSkipped ? 'skipped' : '—') : num(value, 2));
  const ratio = (nimbus: number, other: number | undefined): number | undefined => (other === undefined ? undefined : other / nimbus);
  const row = (metric: string, nimbus: number, other: number | undefined, target: string, wanted?: number): Row => {
    const r = ratio(nimbus, other);
    return { metric, nimbus: num(nimbus, 2), peer: peerCell(other), ratio: r === undefined ? '' : `${num(r, 1)}×`, target, met: met(r === undefined || wanted === undefined ? undefined : r >= wanted) };
  };
  return [
    row(`(a) upload ${num(c.cards)} vCards (s)`, c.nimbus.upload, peer?.upload, '≥ 50×', 50),
    row('(a) no-change sync, median of 3 (s)', c.nimbus.noChange, peer?.noChange, '≥ 10×', 10),
    row('    the same, `nimbus agent` just started (s)', c.nimbus.noChangeWithAgent, peer?.noChange, ''),
    row('    the same, `nimbus agent` running (3 passes later) (s)', c.nimbus.noChangeWithWarmAgent, peer?.noChange, '≥ 10×', 10),
    row(`(a) sync after 10 edits (s)`, c.nimbus.edits, peer?.edits, ''),
    { metric: '    nimbus --help: CLI start-up floor (s)', nimbus: num(c.nimbus.startupSeconds, 2), peer: '', ratio: '', target: '', met: '' },
  ];
}

const failed = (metric: string, target: string): Row => ({ metric, nimbus: 'failed', peer: '', ratio: '', target, met: 'NO' });

/** Rows of the parts that ran; a part that failed shows as failed (its error is printed below the table). */
export function buildRows(r: SyncResults, parts: readonly string[] = ['a', 'b', 'c', 'd']): Row[] {
  const rows: Row[] = [];
  if (r.contacts) rows.push(...contactRows(r.contacts));
  else if (parts.includes('a')) rows.push(failed('(a) vCards upload / no-change / 10 edits', '≥ 50× / ≥ 10×'));
  if (r.pull) {
    const p = r.pull;
    rows.push({ metric: `(b) fresh device pulls ${num(p.records)} records (records/s)`, nimbus: num(p.perSecond), peer: '', ratio: '', target: '≥ 20,000', met: met(p.perSecond >= 20_000) });
    rows.push({ metric: '    bare file creation, same disk (files/s)', nimbus: '', peer: num(p.bareCreatePerSecond), ratio: `${((100 * p.perSecond) / p.bareCreatePerSecond).toFixed(0)} %`, target: '', met: '' });
    rows.push({ metric: '(e) peak memory of that device (MB)', nimbus: p.peakRssMB === null ? 'unknown' : num(p.peakRssMB), peer: '', ratio: '', target: '< 300', met: met(p.peakRssMB === null ? undefined : p.peakRssMB < 300) });
  } else if (parts.includes('b')) rows.push(failed('(b) fresh device pull (records/s)', '≥ 20,000'));
  if (r.smallFiles) {
    const s = r.smallFiles;
    rows.push({ metric: `(c) upload ${num(s.files)} files of 4 KiB (files/s)`, nimbus: num(s.perSecond), peer: '', ratio: '', target: '≥ 500', met: met(s.perSecond >= 500) });
  } else if (parts.includes('c')) rows.push(failed('(c) upload files of 4 KiB (files/s)', '≥ 500'));
  if (r.bigFile) {
    const b = r.bigFile;
    rows.push({
      metric: `(d) upload one ${num(b.sizeMiB)} MiB file (MiB/s; peer = bare fsync)`,
      nimbus: num(b.nimbusMiBps),
      peer: num(b.bareBest),
      ratio: `${num(b.ratio * 100)} %`,
      target: '≥ 70 %',
      met: met(b.ratio >= 0.7),
    });
  } else if (parts.includes('d')) rows.push(failed('(d) upload one big file (MiB/s)', '≥ 70 %'));
  return rows;
}

export function formatTable(rows: Row[]): string {
  const header: Row = { metric: 'metric', nimbus: 'nimbus', peer: 'peer/baseline', ratio: 'ratio', target: 'target', met: 'met?' };
  const all = [header, ...rows];
  const keys = ['metric', 'nimbus', 'peer', 'ratio', 'target', 'met'] as const;
  const widths = keys.map((key) => Math.max(...all.map((row) => row[key].length)));
  const line = (row: Row): string => keys.map((key, i) => (i === 0 ? row[key].padEnd(widths[i] ?? 0) : row[key].padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
