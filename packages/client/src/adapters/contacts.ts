// Contacts: `Contacts/*.vcf`, one vCard per file ({name, vcard}), merged property by property.
import { LIMITS, recordIdSchema } from '@nimbus/protocol';
import { mergeVCards, parseVCard, VCardParseError } from '../merge/contacts-merge.js';
import { ItemError } from './adapter.js';
import { checkedName } from './safe-path.js';
import { TextFileAdapter, type TextFormat } from './text-adapter.js';

export const isVCardName = (name: string): boolean => /\.vcf$/i.test(name);

/** Checks that the text is exactly one parsable vCard; throws ItemError naming the file otherwise. */
export function checkOneCard(where: string, text: string): ReturnType<typeof parseVCard> {
  const cards = text.match(/^BEGIN:VCARD[ \t]*\r?$/gim)?.length ?? 0;
  if (cards > 1) throw new ItemError(where, `the file holds ${cards} contacts; keep one contact per .vcf file`);
  try {
    return parseVCard(text);
  } catch (error) {
    if (error instanceof VCardParseError) throw new ItemError(where, `not a readable vCard (${error.message})`, { cause: error });
    throw new ItemError(where, 'not a readable vCard', { cause: error });
  }
}

/** The card's UID, when it can serve as a record id. */
export function uidOf(text: string): string | null {
  try {
    const uid = parseVCard(text).props.find((p) => p[0] === 'uid')?.[3];
    if (typeof uid !== 'string') return null;
    const id = uid.trim();
    return id.length <= LIMITS.recordIdMaxLength && recordIdSchema.safeParse(id).success ? id : null;
  } catch {
    return null;
  }
}

export function contactsFormat(now: () => number): TextFormat {
  return {
    service: 'contacts',
    zone: 'contacts',
    folder: 'Contacts',
    recursive: false,
    accepts: isVCardName,
    dataOf(rel, text) {
      checkOneCard(`Contacts/${rel}`, text);
      return { name: rel, vcard: text };
    },
    read(data, where) {
      const rel = checkedName(data?.name, where);
      if (!isVCardName(rel)) throw new ItemError(where, 'a contact file must end in .vcf');
      if (typeof data?.vcard !== 'string') throw new ItemError(where, 'the contact has no vCard');
      return { rel, text: data.vcard };
    },
    merge(base, ours, theirs) {
      checkOneCard('ours', ours);
      checkOneCard('theirs', theirs);
      let baseCard: string | null = base;
      try {
        if (base !== null) parseVCard(base);
      } catch {
        baseCard = null;
      }
      return mergeVCards(baseCard, ours, theirs, { now: now() }).text;
    },
    preferredId: uidOf,
  };
}

/** The Contacts adapter. */
export const createContactsAdapter = (deviceName: string, now: () => number = Date.now): TextFileAdapter =>
  new TextFileAdapter(contactsFormat(now), deviceName, now);
