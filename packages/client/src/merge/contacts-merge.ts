// Three-way merge of one contact (vCard 3.0/4.0) property by property, parsed and written with ical.js.
import ICAL from 'ical.js';

/** A jCard property: [name, params, value type, ...values]. */
type JProp = [string, Record<string, unknown>, string, ...unknown[]];

export class VCardParseError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'VCardParseError';
  }
}

export interface MergeVCardsOptions {
  /** Stamp REV with this time (ms) when the result differs from both sides; else the newer REV is kept. */
  readonly now?: number;
}

export interface MergeVCardsResult {
  /** The merged card, CRLF line endings, folded, VERSION first. */
  readonly text: string;
  /** Property names both sides changed differently (ours kept for single-valued ones, both for lists). */
  readonly conflicts: string[];
}

/** Properties a contact has at most one of, in practice: on a clash ours wins. Others (TEL, EMAIL, ADR, X-…) merge as sets. */
const SINGLE = new Set([
  'fn', 'n', 'bday', 'anniversary', 'gender', 'kind', 'org', 'title', 'role', 'note', 'photo', 'logo', 'tz', 'geo',
  'nickname', 'sort-string', 'class', 'label',
]);
/** Handled apart: identity and bookkeeping. */
const SPECIAL = new Set(['version', 'prodid', 'uid', 'rev']);

interface Card {
  readonly props: JProp[];
  readonly version: string;
}

/** Parses one vCard (the first, if the text holds several). */
export function parseVCard(text: string): Card {
  let parsed: unknown;
  try {
    parsed = ICAL.parse(text) as unknown;
  } catch (error) {
    throw new VCardParseError(`not a vCard: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const first: unknown = Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed[0] : parsed;
  if (!Array.isArray(first) || first[0] !== 'vcard' || !Array.isArray(first[1])) throw new VCardParseError('not a vCard: no BEGIN:VCARD');
  const props = first[1] as JProp[];
  const version = props.find((p) => p[0] === 'version')?.[3];
  return { props, version: typeof version === 'string' ? version : '3.0' };
}

/** TYPE values as a sorted lowercase list: `TYPE=CELL,VOICE` and `TYPE=voice;TYPE=cell` are one thing. */
function types(p: JProp): string[] {
  const raw = p[1].type;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((t) => String(t).toLowerCase()).sort();
}

/** A comparable form of a property: name, params (sorted, TYPE normalized), value type and values. */
function canon(p: JProp): string {
  const params = Object.entries(p[1])
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([p[0], types(p), params, p[2], p.slice(3)]);
}

const singleKey = (p: JProp): string => `${p[0]}|${types(p).join(',')}`;

/** Single-valued properties grouped by key; the group's comparable value is the JSON of its members. */
function singles(card: Card): Map<string, { props: JProp[]; value: string }> {
  const out = new Map<string, { props: JProp[]; value: string }>();
  for (const p of card.props) {
    if (!SINGLE.has(p[0])) continue;
    const key = singleKey(p);
    const group = out.get(key) ?? { props: [], value: '' };
    group.props.push(p);
    out.set(key, group);
  }
  for (const group of out.values()) group.value = JSON.stringify(group.props.map(canon));
  return out;
}

const multis = (card: Card): Set<string> =>
  new Set(card.props.filter((p) => !SINGLE.has(p[0]) && !SPECIAL.has(p[0])).map(canon));

type Pick = 'ours' | 'theirs' | 'none';

/** Three-way choice for one value (undefined = absent). A delete against an edit keeps the edit. */
function pick3(base: string | undefined, ours: string | undefined, theirs: string | undefined): { pick: Pick; clash: boolean } {
  const of = (side: 'ours' | 'theirs', v: string | undefined): Pick => (v === undefined ? 'none' : side);
  if (ours === theirs || theirs === base) return { pick: of('ours', ours), clash: false };
  if (ours === base) return { pick: of('theirs', theirs), clash: false };
  if (ours === undefined) return { pick: 'theirs', clash: true };
  return { pick: 'ours', clash: true };
}

/** Names of list properties both sides changed, differently. */
function listClashes(base: Set<string>, ours: Set<string>, theirs: Set<string>): string[] {
  const byName = (set: Set<string>, name: string): string =>
    JSON.stringify([...set].filter((c) => nameOf(c) === name).sort());
  const names = new Set([...base, ...ours, ...theirs].map(nameOf));
  return [...names].filter((n) => {
    const [b, o, t] = [byName(base, n), byName(ours, n), byName(theirs, n)];
    return o !== b && t !== b && o !== t;
  });
}

const nameOf = (c: string): string => String((JSON.parse(c) as unknown[])[0]);

const special = (card: Card, name: string): JProp | undefined => card.props.find((p) => p[0] === name);

/** "20261123T101500Z"-like digits of a REV, for comparing REVs written in different formats. */
const revDigits = (p: JProp | undefined): string => (typeof p?.[3] === 'string' ? p[3].replace(/\D/g, '') : '');

function revAt(ms: number, version: string): JProp {
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return ['rev', {}, version === '4.0' ? 'timestamp' : 'date-time', iso];
}

/**
 * Merges two edits of one contact made from `base` (null when there is no common ancestor, e.g. a
 * first sign-in). A property changed on one side takes that side; changed on both: ours for
 * single-valued properties (FN, N, BDAY…), both for lists (TEL, EMAIL, ADR…). Nothing added on
 * either side is lost.
 */
export function mergeVCards(base: string | null, ours: string, theirs: string, options: MergeVCardsOptions = {}): MergeVCardsResult {
  const o = parseVCard(ours);
  const t = parseVCard(theirs);
  const b: Card = base === null ? { props: [], version: o.version } : parseVCard(base);
  const [bs, os, ts] = [singles(b), singles(o), singles(t)];
  const [bm, om, tm] = [multis(b), multis(o), multis(t)];
  const conflicts = new Set<string>();

  const decision = new Map<string, Pick>();
  for (const key of new Set([...os.keys(), ...ts.keys(), ...bs.keys()])) {
    const { pick, clash } = pick3(bs.get(key)?.value, os.get(key)?.value, ts.get(key)?.value);
    decision.set(key, pick);
    if (clash) conflicts.add(key.slice(0, key.indexOf('|')).toUpperCase());
  }
  // A set member stays if both sides have it, or if it is new on either side; a side's delete of a base member wins.
  const keepMulti = (c: string): boolean => (om.has(c) && tm.has(c)) || (!bm.has(c) && (om.has(c) || tm.has(c)));
  for (const name of listClashes(bm, om, tm)) conflicts.add(name.toUpperCase());

  const out: JProp[] = [];
  const emittedSingles = new Set<string>();
  const emittedMultis = new Set<string>();
  const emit = (p: JProp): void => {
    if (SPECIAL.has(p[0])) return;
    if (SINGLE.has(p[0])) {
      // The chosen side's version takes the place where the property first appears.
      const key = singleKey(p);
      const pick = decision.get(key);
      if (emittedSingles.has(key) || pick === undefined || pick === 'none') return;
      emittedSingles.add(key);
      out.push(...((pick === 'ours' ? os : ts).get(key)?.props ?? []));
      return;
    }
    const c = canon(p);
    if (emittedMultis.has(c) || !keepMulti(c)) return;
    emittedMultis.add(c);
    out.push(p);
  };
  // Ours' order first, then what only theirs brings, at the end.
  for (const p of o.props) emit(p);
  for (const p of t.props) emit(p);

  const head: JProp[] = [['version', {}, 'text', o.version]];
  const prodid = special(o, 'prodid') ?? special(t, 'prodid');
  if (prodid) head.push(prodid);
  const uid = special(o, 'uid') ?? special(t, 'uid') ?? special(b, 'uid');
  if (uid) head.push(uid);
  const body = JSON.stringify(out.map(canon));
  const sameAs = (card: Card): boolean => JSON.stringify(card.props.filter((p) => !SPECIAL.has(p[0])).map(canon)) === body;
  const [oRev, tRev] = [special(o, 'rev'), special(t, 'rev')];
  const rev = sameAs(o) ? oRev : sameAs(t) ? tRev : options.now !== undefined ? revAt(options.now, o.version) : revDigits(tRev) > revDigits(oRev) ? tRev : oRev;
  const props = [...head, ...out, ...(rev ? [rev] : [])];
  const text = ICAL.stringify(['vcard', props, []]);
  return { text: text.endsWith('\r\n') ? text : `${text}\r\n`, conflicts: [...conflicts] };
}
