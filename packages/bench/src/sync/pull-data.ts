// Records shaped exactly like the adapters write them, so a device can apply them:
// notes {path, text} (Notes/<path>), contacts {name, vcard} (Contacts/<name>, id = the card's UID).
import type { RecordWrite } from '@nimbus/protocol';
import { cardUid, vcard } from './vcards.js';

const WORDS = 'the a meeting list groceries call remember project idea draft review plan weekend book travel notes summary garden recipe budget'.split(' ');

function noteText(index: number): string {
  const words = 20 + (index % 40);
  const out: string[] = [`# Note ${index}`, ''];
  let line = '';
  for (let w = 0; w < words; w++) {
    line += `${WORDS[(index * 7 + w * 13) % WORDS.length]} `;
    if (line.length > 60) {
      out.push(line.trimEnd());
      line = '';
    }
  }
  if (line) out.push(line.trimEnd());
  return `${out.join('\n')}\n`;
}

/** Record `index` of the mixed set: even = a note in one of 20 folders, odd = a small contact. */
export function pullRecord(index: number): RecordWrite {
  if (index % 2 === 0) {
    const path = `folder-${String(index % 20).padStart(2, '0')}/note-${String(index).padStart(6, '0')}.md`;
    return { zone: 'notes', id: `bench-note-${index}`, baseVersion: 0, data: { path, text: noteText(index) } };
  }
  const card = 1_000_000 + index;
  return { zone: 'contacts', id: cardUid(card), baseVersion: 0, data: { name: `${cardUid(card)}.vcf`, vcard: vcard(card, { small: true }) } };
}
