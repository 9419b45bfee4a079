import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BYTES_BAR_FROM, LineView, progressDetail, progressMode, progressView } from './progress.js';

const MB = 1_000_000;

describe('progress', () => {
  it('counts items until a run moves enough bytes, then bytes with the rate', () => {
    expect(progressMode({ done: 1, total: 3 })).toBe('items');
    expect(progressMode({ done: 1, total: 3, bytesDone: 10, bytesTotal: 1000 })).toBe('items');
    expect(progressMode({ done: 0, total: 1, bytesDone: 0, bytesTotal: BYTES_BAR_FROM })).toBe('bytes');
    expect(progressDetail({ done: 3, total: 10 })).toBe('3 of 10 items');
    expect(progressDetail({ done: 0, total: 1, bytesDone: 450 * MB, bytesTotal: 1000 * MB }, 12.5 * MB)).toBe('450.0 MB of 1.0 GB · 12.5 MB/s · 0 of 1 item');
  });

  it('prints plain lines when not a terminal: every tenth of the items, or of the bytes of a big transfer', () => {
    const lines: string[] = [];
    const view = new LineView({ write: (text: string) => lines.push(text) > 0 });
    for (let done = 0; done <= 20; done++) view.update({ done, total: 20 });
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('syncing: 0 of 20 items\n');
    lines.length = 0;
    for (let bytes = 0; bytes <= 100 * MB; bytes += MB) view.update({ done: 0, total: 1, bytesDone: bytes, bytesTotal: 100 * MB });
    expect(lines).toHaveLength(11);
    expect(lines[5]).toBe('syncing: 50.0 MB of 100.0 MB · 0 of 1 item\n');
  });

  it('draws a bytes bar on a terminal once a big transfer runs', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    let out = '';
    stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
    let clock = 0;
    const view = progressView(stream as unknown as NodeJS.WriteStream, () => clock);
    view.update({ done: 0, total: 2 });
    for (let i = 1; i <= 5; i++) {
      clock += 1000;
      view.update({ done: 0, total: 2, bytesDone: i * 10 * MB, bytesTotal: 100 * MB });
    }
    view.stop();
    expect(out).toMatch(/Syncing \[.*\] \d+% \| /);
    expect(out).toMatch(/50\.0 MB of 100\.0 MB · 10\.0 MB\/s · 0 of 2 items/);
  });
});
