// Notes: `Notes/**/*.md|*.txt`, one record per note ({path, text}), merged as text with markers on overlaps.
import { mergeText } from '../merge/notes-merge.js';
import { ItemError } from './adapter.js';
import { checkedRelPath } from './safe-path.js';
import { TextFileAdapter, type TextFormat } from './text-adapter.js';

export const isNoteName = (name: string): boolean => /\.(md|txt)$/i.test(name);

export function notesFormat(deviceName: string): TextFormat {
  return {
    service: 'notes',
    zone: 'notes',
    folder: 'Notes',
    recursive: true,
    accepts: isNoteName,
    dataOf: (rel, text) => ({ path: rel, text }),
    read(data, where) {
      const rel = checkedRelPath(data?.path, where);
      if (!isNoteName(rel)) throw new ItemError(where, 'a note must end in .md or .txt');
      if (typeof data?.text !== 'string') throw new ItemError(where, 'the note has no text');
      return { rel, text: data.text };
    },
    merge: (base, ours, theirs) => mergeText(base ?? '', ours, theirs, { oursLabel: deviceName, theirsLabel: 'other device' }).text,
  };
}

/** The Notes adapter. */
export const createNotesAdapter = (deviceName: string, now?: () => number): TextFileAdapter =>
  new TextFileAdapter(notesFormat(deviceName), deviceName, now);
