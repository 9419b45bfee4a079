// Realistic generated vCards (3.0, CRLF): FN, N, several TEL and EMAIL, ADR, ORG, NOTE, a UID each. Deterministic.
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const GIVEN = ['Ada', 'Bruno', 'Chloé', 'Dmitri', 'Elena', 'Farah', 'Goran', 'Hana', 'Iker', 'Jonas', 'Keiko', 'Luca', 'Maya', 'Nils', 'Olga', 'Pablo', 'Quinn', 'Rosa', 'Sven', 'Tariq'];
const FAMILY = ['Andersen', 'Bianchi', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García', 'Hoffmann', 'Ivanova', 'Jensen', 'Kowalski', 'Larsen', 'Moreau', 'Novak', "O'Brien", 'Petrov', 'Rossi', 'Schmidt', 'Tanaka', 'Weber'];
const STREETS = ['Main Street', 'Rue de la Paix', 'Hauptstraße', 'Calle Mayor', 'Via Roma', 'Kings Road', 'Elm Avenue', 'Lake Drive'];
const CITIES = [['Berlin', '10115', 'Germany'], ['Lyon', '69001', 'France'], ['Madrid', '28013', 'Spain'], ['Turin', '10121', 'Italy'], ['Oslo', '0150', 'Norway'], ['Leeds', 'LS1 4AP', 'United Kingdom']] as const;
const ORGS = ['Acme Corp', 'Northwind', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay Industries'];
const NOTES = [
  'Met at the spring conference; prefers email over calls.',
  'Birthday party every June. Allergic to peanuts.',
  'Shared the flat in Lyon in 2014; owes me a book.',
  'Project lead for the new warehouse system. Call after 10 am.',
];

/** A tiny deterministic PRNG (mulberry32), so every run writes the same cards. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
const digits = (next: () => number, n: number): string => Array.from({ length: n }, () => Math.floor(next() * 10)).join('');

export function cardUid(index: number): string {
  return `bench-card-${String(index).padStart(6, '0')}-4f1c-9a2e-${(index * 2654435761 >>> 0).toString(16).padStart(8, '0')}`;
}

/** One contact; `small` leaves out the address and organisation (for the mixed pull of part b). */
export function vcard(index: number, options: { small?: boolean; note?: string } = {}): string {
  const next = random(index + 1);
  const given = pick(next, GIVEN);
  const family = pick(next, FAMILY);
  const mail = `${given}.${family}`.toLowerCase().normalize('NFD').replace(/[^a-z.]/g, '');
  const lines = ['BEGIN:VCARD', 'VERSION:3.0', `UID:${cardUid(index)}`, `FN:${given} ${family}`, `N:${family};${given};;;`];
  const phones = options.small ? 1 : 2 + Math.floor(next() * 2);
  const kinds = ['CELL', 'HOME', 'WORK'];
  for (let i = 0; i < phones; i++) lines.push(`TEL;TYPE=${kinds[i % 3]}:+${digits(next, 2)} ${digits(next, 3)} ${digits(next, 3)} ${digits(next, 4)}`);
  const emails = options.small ? 1 : 1 + Math.floor(next() * 3);
  const domains = ['example.org', 'mail.example.com', 'work.example.net'];
  for (let i = 0; i < emails; i++) lines.push(`EMAIL;TYPE=${i === 0 ? 'HOME' : 'WORK'}:${mail}${i === 0 ? '' : i}@${domains[i % 3]}`);
  if (!options.small) {
    const [city, zip, country] = pick(next, CITIES);
    lines.push(`ADR;TYPE=HOME:;;${1 + Math.floor(next() * 200)} ${pick(next, STREETS)};${city};;${zip};${country}`);
    lines.push(`ORG:${pick(next, ORGS)}`);
  }
  lines.push(`NOTE:${(options.note ?? pick(next, NOTES)).replace(/[,;]/g, (c) => `\\${c}`)}`);
  lines.push('END:VCARD');
  return `${lines.join('\r\n')}\r\n`;
}

export const cardFileName = (index: number): string => `${cardUid(index)}.vcf`;

/** Writes cards 0..count-1 as `<UID>.vcf` into each folder. */
export async function writeCards(folders: string[], count: number): Promise<void> {
  for (const folder of folders) await mkdir(folder, { recursive: true });
  for (let i = 0; i < count; i++) {
    const text = vcard(i);
    for (const folder of folders) await writeFile(join(folder, cardFileName(i)), text);
  }
}

/** Edits the NOTE of `edits` cards spread over the set, in each folder; mtimes move 5 s forward so no scan misses them. */
export async function editCards(folders: string[], count: number, edits: number): Promise<void> {
  const step = Math.max(1, Math.floor(count / edits));
  const later = new Date(Date.now() + 5000);
  for (let e = 0; e < edits && e * step < count; e++) {
    const index = e * step;
    const text = vcard(index, { note: `Edited by the bench at ${new Date().toISOString()} (edit ${e}).` });
    for (const folder of folders) {
      const file = join(folder, cardFileName(index));
      await writeFile(file, text);
      await utimes(file, later, later);
    }
  }
}
