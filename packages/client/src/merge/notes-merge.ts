// Three-way merge of note text, line by line: clean merges merge, overlapping edits keep both texts between markers.
import { diff3Merge, diffComm } from 'node-diff3';

export interface MergeTextOptions {
  /** The label of this device's side in conflict markers. */
  readonly oursLabel?: string;
  /** The label of the other side, usually the other device's name. */
  readonly theirsLabel?: string;
}

export interface MergeTextResult {
  readonly text: string;
  /** How many places kept both texts between markers (0: a clean merge). */
  readonly conflicts: number;
}

/** Lines without their separator; joining with "\n" gives the text back exactly (a "\r" stays on its line). */
const lines = (text: string): string[] => text.split('\n');

/** Both sides inserted at the same place and removed nothing: keep every line of both, shared ones once, ours first. */
function unionOfInsertions(ours: string[], theirs: string[]): string[] {
  const out: string[] = [];
  for (const part of diffComm(ours, theirs)) {
    if (part.common) out.push(...part.common);
    else out.push(...part.buffer1, ...part.buffer2);
  }
  return out;
}

/**
 * Merges two edits of one note made from a common `base`. Never loses either side: where both
 * sides changed the same lines, both versions stay in the note between
 * `<<<<<<< this device`, `=======` and `>>>>>>> OTHER DEVICE` lines.
 */
export function mergeText(base: string, ours: string, theirs: string, options: MergeTextOptions = {}): MergeTextResult {
  if (ours === theirs) return { text: ours, conflicts: 0 };
  if (ours === base) return { text: theirs, conflicts: 0 };
  if (theirs === base) return { text: ours, conflicts: 0 };
  const oursLabel = clean(options.oursLabel ?? 'this device');
  const theirsLabel = clean(options.theirsLabel ?? 'other device');
  // Marker lines follow the note's line endings, so a CRLF note stays CRLF.
  const cr = ours.includes('\r\n') ? '\r' : '';
  const out: string[] = [];
  let conflicts = 0;
  for (const region of diff3Merge(lines(ours), lines(base), lines(theirs), { excludeFalseConflicts: true })) {
    if (region.ok) {
      out.push(...region.ok);
      continue;
    }
    if (!region.conflict) continue;
    const { a, o, b } = region.conflict;
    if (o.length === 0) {
      out.push(...unionOfInsertions(a, b));
      continue;
    }
    conflicts++;
    out.push(`<<<<<<< ${oursLabel}${cr}`, ...a, `=======${cr}`, ...b, `>>>>>>> ${theirsLabel}${cr}`);
  }
  const text = out.join('\n');
  return { text: cr && text.endsWith('\r') && !ours.endsWith('\r') ? text.slice(0, -1) : text, conflicts };
}

/** Labels are one line of printable text. */
function clean(label: string): string {
  const text = label.replace(/[\p{Cc}\p{Cf}]+/gu, ' ').trim().slice(0, 80);
  return text === '' ? 'other device' : text;
}
