import { describe, expect, it } from 'vitest';
import { JsonEventView } from './backup-progress.js';

describe('JsonEventView (progress when stderr is not a terminal)', () => {
  it('writes one JSON object a line: each new phase at once, within a phase at most every 500 ms, the last one on stop', () => {
    const lines: string[] = [];
    let now = 0;
    const view = new JsonEventView({ write: (text: string) => lines.push(text) > 0 }, () => now);
    view.update({ phase: 'scan', done: 0, total: 0 });
    view.update({ phase: 'read', done: 0, total: 4, bytesDone: 0, bytesTotal: 100 });
    now = 100;
    view.update({ phase: 'read', done: 1, total: 4, bytesDone: 25, bytesTotal: 100 });
    now = 600;
    view.update({ phase: 'read', done: 2, total: 4, bytesDone: 50, bytesTotal: 100 });
    now = 700;
    view.update({ phase: 'read', done: 4, total: 4, bytesDone: 100, bytesTotal: 100 });
    view.stop();
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.every((line) => line.endsWith('\n'))).toBe(true);
    expect(events).toEqual([
      { event: 'progress', phase: 'scan', done: 0, total: 0 },
      { event: 'progress', phase: 'read', done: 0, total: 4, bytesDone: 0, bytesTotal: 100 },
      { event: 'progress', phase: 'read', done: 2, total: 4, bytesDone: 50, bytesTotal: 100 },
      { event: 'progress', phase: 'read', done: 4, total: 4, bytesDone: 100, bytesTotal: 100 },
    ]);
  });
});
