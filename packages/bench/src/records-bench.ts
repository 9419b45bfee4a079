// Bench 1 and 2: batch record writes/s, then change-feed records/s reading them all back.
import { LIMITS, type BatchWriteResponse, type ChangesResponse } from '@nimbus/protocol';
import { requestJson, type Api } from './api-client.js';

const LOREM = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.';

/** ~200 bytes of JSON that look like a note or a contact. */
export function smallRecord(i: number): { zone: 'notes' | 'contacts'; id: string; data: Record<string, unknown> } {
  if (i % 2 === 0) {
    return {
      zone: 'notes',
      id: `note-${i}`,
      data: { title: `Note ${i}`, body: LOREM.slice(0, 60 + (i % 40)), tags: ['bench', `t${i % 7}`], pinned: i % 5 === 0 },
    };
  }
  return {
    zone: 'contacts',
    id: `contact-${i}`,
    data: {
      fn: `Person ${i}`,
      email: `person${i}@example.test`,
      tel: `+1 555 ${String(i % 10_000).padStart(4, '0')}`,
      org: 'Example Inc.',
      note: LOREM.slice(0, 40 + (i % 30)),
    },
  };
}

export interface RateResult {
  records: number;
  seconds: number;
  perSecond: number;
}

/** Writes `count` new records in batches of `batchSize`, with `inFlight` requests at a time. */
export async function benchBatchWrites(api: Api, count: number, batchSize: number = LIMITS.batchMaxRecords, inFlight = 4): Promise<RateResult> {
  const batches: unknown[][] = [];
  for (let start = 0; start < count; start += batchSize) {
    const writes = [];
    for (let i = start; i < Math.min(count, start + batchSize); i++) writes.push({ ...smallRecord(i), baseVersion: 0 });
    batches.push(writes);
  }
  let next = 0;
  let written = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const writes = batches[next++];
      const answer = await requestJson<BatchWriteResponse>(api.agent, api.base, 'POST', '/v1/records/batch', { writes }, api.token);
      const bad = answer.results.filter((result) => result.status !== 'ok');
      if (bad.length > 0) throw new Error(`batch write: ${bad.length} records not ok, first: ${JSON.stringify(bad[0])}`);
      written += answer.results.length;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { records: written, seconds, perSecond: written / seconds };
}

/** Reads the whole change feed from the start in pages of `limit`. */
export async function benchChangeFeed(api: Api, expected: number, limit: number = LIMITS.feedMaxPage): Promise<RateResult & { pages: number }> {
  let since: string | undefined;
  let records = 0;
  let pages = 0;
  const started = performance.now();
  for (;;) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (since !== undefined) query.set('since', since);
    const page = await requestJson<ChangesResponse>(api.agent, api.base, 'GET', `/v1/changes?${query.toString()}`, undefined, api.token);
    records += page.changes.length;
    pages++;
    since = page.token;
    if (!page.more) break;
  }
  const seconds = (performance.now() - started) / 1000;
  if (records < expected) throw new Error(`change feed returned ${records} records, expected at least ${expected}`);
  return { records, seconds, perSecond: records / seconds, pages };
}
