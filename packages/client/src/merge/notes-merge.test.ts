import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeText } from './notes-merge.js';

const text = fc.array(fc.constantFrom('alpha', 'beta', 'gamma', '', 'delta', 'beta', '- [ ] milk', 'épicerie ✓'), { maxLength: 12 }).map((l) => l.join('\n'));
const anyText = fc.oneof(text, fc.string({ maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 40 }));

describe('mergeText', () => {
  it('merges edits of different lines cleanly', () => {
    const base = 'Shopping\n- milk\n- bread\n- eggs\n';
    const ours = 'Shopping list\n- milk\n- bread\n- eggs\n';
    const theirs = 'Shopping\n- milk\n- bread\n- eggs\n- butter\n';
    expect(mergeText(base, ours, theirs)).toEqual({ text: 'Shopping list\n- milk\n- bread\n- eggs\n- butter\n', conflicts: 0 });
  });

  it('keeps both versions of an overlapping edit between markers', () => {
    const base = 'title\nmeet at 10\nend\n';
    const result = mergeText(base, 'title\nmeet at 11\nend\n', 'title\nmeet at 9:30\nend\n', { theirsLabel: 'Laptop' });
    expect(result.conflicts).toBe(1);
    expect(result.text).toBe('title\n<<<<<<< this device\nmeet at 11\n=======\nmeet at 9:30\n>>>>>>> Laptop\nend\n');
  });

  it('an edit against a delete keeps the edit inside markers', () => {
    const result = mergeText('a\nb\nc', 'a\nc', 'a\nB!\nc', { theirsLabel: 'Phone' });
    expect(result.text).toBe('a\n<<<<<<< this device\n=======\nB!\n>>>>>>> Phone\nc');
  });

  it('insertions at the same place from both sides keep both, without markers', () => {
    const result = mergeText('list\n', 'list\n- tea\n', 'list\n- coffee\n');
    expect(result).toEqual({ text: 'list\n- tea\n- coffee\n', conflicts: 0 });
    expect(mergeText('x', 'x\n1\n2', 'x\n1\n2\n3').text).toBe('x\n1\n2\n3');
  });

  it('keeps CRLF line endings and labels on one line', () => {
    const result = mergeText('a\r\nb\r\nc\r\n', 'a\r\nB\r\nc\r\n', 'a\r\nb\r\nc\r\nd\r\n');
    expect(result.text).toBe('a\r\nB\r\nc\r\nd\r\n');
    const clash = mergeText('a\r\nb\r\n', 'a\r\nB\r\n', 'a\r\nb!\r\n', { theirsLabel: 'Phone' });
    expect(clash.text).toBe('a\r\n<<<<<<< this device\r\nB\r\n=======\r\nb!\r\n>>>>>>> Phone\r\n');
    expect(mergeText('x', 'y', 'z', { theirsLabel: 'evil\n>>>>>>> name' }).text).toBe('<<<<<<< this device\ny\n=======\nz\n>>>>>>> evil >>>>>>> name');
  });

  it('property: merge(b, x, b) = x, merge(b, b, y) = y, merge(b, x, x) = x', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (b, x, y) => {
        expect(mergeText(b, x, b)).toEqual({ text: x, conflicts: 0 });
        expect(mergeText(b, b, y)).toEqual({ text: y, conflicts: 0 });
        expect(mergeText(b, x, x)).toEqual({ text: x, conflicts: 0 });
      }),
      { numRuns: 500 },
    );
  });

  it('property: merging line arrays with the same edits as identical arrays is the identity too', () => {
    // Same text reached along different paths: diff3 must not invent a conflict.
    fc.assert(
      fc.property(text, text, (b, x) => {
        const r = mergeText(b, x, x.slice());
        expect(r.text).toBe(x);
      }),
    );
  });

  it('property: every line that only one side added appears in the result', () => {
    // Base lines are unique; each side deletes some and inserts new unique lines.
    const edit = (base: string[], tag: string) =>
      fc.array(fc.tuple(fc.boolean(), fc.nat(3)), { minLength: base.length, maxLength: base.length }).map((ops) => {
        const out: string[] = [];
        const added: string[] = [];
        ops.forEach(([keep, inserts], i) => {
          for (let k = 0; k < inserts; k++) {
            const line = `${tag}-${i}-${k}`;
            out.push(line);
            added.push(line);
          }
          if (keep) out.push(base[i]!);
        });
        return { text: out.join('\n'), added };
      });
    const scenario = fc
      .integer({ min: 0, max: 10 })
      .map((n) => Array.from({ length: n }, (_, i) => `base line ${i}`))
      .chain((base) => fc.tuple(fc.constant(base), edit(base, 'ours'), edit(base, 'theirs')));
    fc.assert(
      fc.property(scenario, ([base, ours, theirs]) => {
        const result = mergeText(base.join('\n'), ours.text, theirs.text).text.split('\n');
        for (const line of [...ours.added, ...theirs.added]) expect(result).toContain(line);
      }),
      { numRuns: 500 },
    );
  });

  it('property: a clean merge of disjoint edits contains no markers and both edits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 20 }), fc.nat(), fc.nat(), (n, i, j) => {
        const base = Array.from({ length: n }, (_, k) => `line ${k}`);
        const a = i % Math.floor(n / 2);
        const b = Math.floor(n / 2) + 1 + (j % (n - Math.floor(n / 2) - 1));
        const ours = base.map((l, k) => (k === a ? `${l} (ours)` : l));
        const theirs = base.map((l, k) => (k === b ? `${l} (theirs)` : l));
        const r = mergeText(base.join('\n'), ours.join('\n'), theirs.join('\n'));
        expect(r.conflicts).toBe(0);
        expect(r.text).toBe(base.map((l, k) => (k === a ? `${l} (ours)` : k === b ? `${l} (theirs)` : l)).join('\n'));
      }),
    );
  });
});
