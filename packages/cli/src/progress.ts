// Progress of a sync on the terminal: a bar (cli-progress) on a TTY — bytes when blobs move, items otherwise —
// and a few plain lines when not a TTY (logs, pipes, CI).
import cliProgress from 'cli-progress';
import { formatBytes } from '@nimbus/client';

/** The engine's `status.progress`: items of this run, and blob bytes when a transfer ran. */
export interface ProgressUpdate {
  readonly done: number;
  readonly total: number;
  readonly bytesDone?: number | undefined;
  readonly bytesTotal?: number | undefined;
}

export interface ProgressView {
  update(progress: ProgressUpdate): void;
  stop(): void;
}

/** Below this many bytes to move, a run is counted in items (small files go by in a blink). */
export const BYTES_BAR_FROM = 4 * 1024 * 1024;

export function progressView(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now, label = 'Syncing'): ProgressView {
  return stream.isTTY ? new BarView(stream, now, label) : new LineView(stream);
}

/** Bytes when the run moves enough of them, items otherwise. */
export function progressMode(p: ProgressUpdate): 'bytes' | 'items' {
  return p.bytesTotal !== undefined && p.bytesTotal >= BYTES_BAR_FROM ? 'bytes' : 'items';
}

const items = (p: ProgressUpdate): string => `${p.done} of ${p.total} item${p.total === 1 ? '' : 's'}`;

/** The text beside the bar: "450.0 MB of 1.0 GB · 12.5 MB/s · 3 of 10 items", or "3 of 10 items". */
export function progressDetail(p: ProgressUpdate, bytesPerSecond?: number): string {
  if (progressMode(p) === 'items') return items(p);
  const rate = bytesPerSecond !== undefined && bytesPerSecond > 0 ? ` · ${formatBytes(bytesPerSecond)}/s` : '';
  return `${formatBytes(p.bytesDone ?? 0)} of ${formatBytes(p.bytesTotal ?? 0)}${rate} · ${items(p)}`;
}

/** Bytes per second over the last few seconds of samples. */
class Rate {
  #samples: { at: number; bytes: number }[] = [];
  constructor(private readonly now: () => number) {}

  add(bytes: number): number | undefined {
    const at = this.now();
    this.#samples.push({ at, bytes });
    while (this.#samples.length > 2 && at - (this.#samples[0]?.at ?? at) > 5_000) this.#samples.shift();
    const first = this.#samples[0];
    if (!first || at - first.at < 500) return undefined;
    return ((bytes - first.bytes) * 1000) / (at - first.at);
  }
}

export class BarView implements ProgressView {
  readonly #bar: cliProgress.SingleBar;
  readonly #rate: Rate;
  #started = false;
  #mode: 'bytes' | 'items' = 'items';

  constructor(stream: NodeJS.WriteStream, now: () => number, label = 'Syncing') {
    this.#rate = new Rate(now);
    this.#bar = new cliProgress.SingleBar(
      { stream, format: `${label} [{bar}] {percentage}% | {detail}`, hideCursor: true, clearOnComplete: true, fps: 8 },
      cliProgress.Presets.shades_classic,
    );
  }

  update(p: ProgressUpdate): void {
    if (p.total === 0 && !p.bytesTotal) return;
    // Once bytes are shown they stay: a bar that switched back to items would jump.
    if (progressMode(p) === 'bytes') this.#mode = 'bytes';
    const bytes = this.#mode === 'bytes';
    const value = bytes ? (p.bytesDone ?? 0) : p.done;
    const total = Math.max(bytes ? (p.bytesTotal ?? 0) : p.total, value, 1);
    const detail = bytes ? progressDetail({ ...p, bytesTotal: Math.max(p.bytesTotal ?? 0, BYTES_BAR_FROM) }, this.#rate.add(value)) : items(p);
    if (!this.#started) {
      this.#bar.start(total, value, { detail });
      this.#started = true;
      return;
    }
    this.#bar.setTotal(total);
    this.#bar.update(value, { detail });
  }

  stop(): void {
    if (this.#started) this.#bar.stop();
    this.#started = false;
    this.#mode = 'items';
  }
}

/** A line when the items move by a tenth, or (big transfers) the bytes move by a tenth. */
export class LineView implements ProgressView {
  readonly #stream: Pick<NodeJS.WritableStream, 'write'>;
  #lastItems = -1;
  #lastBytes = -1;

  constructor(stream: Pick<NodeJS.WritableStream, 'write'>) {
    this.#stream = stream;
  }

  update(p: ProgressUpdate): void {
    if (progressMode(p) === 'bytes') {
      const tenth = Math.floor(((p.bytesDone ?? 0) / (p.bytesTotal ?? 1)) * 10);
      if (tenth !== this.#lastBytes) {
        this.#lastBytes = tenth;
        this.#stream.write(`syncing: ${progressDetail(p)}\n`);
      }
      return;
    }
    if (p.total <= 0) return;
    const tenth = Math.floor((p.done / p.total) * 10);
    if (tenth !== this.#lastItems) {
      this.#lastItems = tenth;
      this.#stream.write(`syncing: ${items(p)}\n`);
    }
  }

  stop(): void {
    this.#lastItems = -1;
    this.#lastBytes = -1;
  }
}
