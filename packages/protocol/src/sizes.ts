// Sizes people type: "5GB", "500MB", "2GiB", "1073741824".

const UNITS: Readonly<Record<string, number>> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** "5GB" → 5,000,000,000 (decimal, like phones and iCloud show); "5GiB" → binary; "123" → bytes; null when not a size. */
export function parseByteSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(text);
  const factor = UNITS[(match?.[2] ?? 'b').toLowerCase()];
  if (!match || factor === undefined) return null;
  return Math.round(Number(match[1]) * factor);
}
