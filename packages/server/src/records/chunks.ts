// Splits IN lists and multi-row inserts so no statement exceeds the databases' parameter limits.

/** IN-list items per statement (SQLite builds may allow as few as 999 parameters; we stay well below). */
export const IN_CHUNK = 400;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
