// Optimize Storage: the library may hold a smaller stand-in of a photo instead of its original (which stays on the
// server). The photo's mirror row says so in its local hash: `standin:<SHA-256 of the stand-in file>` — the record id
// stays the original's hash. Carried in that field, the mark passes unchanged through the outbox and the push,
// which copy it; a scan or a pull that meets the file knows it is this photo, not a new picture or an edit.
export const STANDIN_PREFIX = 'standin:';

export const standinMark = (sha256: string): string => `${STANDIN_PREFIX}${sha256}`;

/** The stand-in file's hash when `localHash` marks one, else null (the library holds the original). */
export const standinHashOf = (localHash: string | null | undefined): string | null =>
  localHash?.startsWith(STANDIN_PREFIX) === true ? localHash.slice(STANDIN_PREFIX.length) : null;
