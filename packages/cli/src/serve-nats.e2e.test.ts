// Two `nimbus serve --nats` processes on one PostgreSQL: a write through one wakes a long-poll waiting on the other.
import type { ChangesResponse, LoginResponse } from '@nimbus/protocol';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createPostgresDatabase, postgresAvailable } from '../../server/src/testing/databases.js';
import { natsAvailable, TEST_NATS_URL } from '../../server/src/testing/nats.js';
import { spawnServer } from './testing/spawn-server.js';

const [pgUp, natsUp] = await Promise.all([postgresAvailable(), natsAvailable()]);

describe.skipIf(!pgUp || !natsUp)('nimbus serve --nats (several processes, one database)', () => {
  it("answers a long-poll on one process as soon as the other commits a change, with that change", { timeout: 60_000 }, async () => {
    const database = await createPostgresDatabase();
    const args = ['--db', database.url, '--probe-port', 'off', '--nats', TEST_NATS_URL];
    // One after the other: both migrate the fresh database on start. A logs requests, so the test sees the poll arrive.
    const a = await spawnServer(args, { NIMBUS_LOG_LEVEL: 'info' });
    const b = await spawnServer(args);
    try {
      const token = await signUp(b.url);
      const auth = { authorization: `Bearer ${token}` };
      const since = ((await (await fetch(`${a.url}/v1/changes`, { headers: auth })).json()) as ChangesResponse).token;

      // Far longer than the test may take: only a wakeup through NATS can answer it in time.
      const poll = fetch(`${a.url}/v1/changes?since=${encodeURIComponent(since)}&wait=30`, { headers: auth, signal: AbortSignal.timeout(10_000) });
      await until(() => a.output().includes('/v1/changes?since='));
      // Lets A finish its first (empty) read and start waiting; were it slower, the test would pass without NATS, not fail.
      await new Promise((r) => setTimeout(r, 300));
      const write = await fetch(`${b.url}/v1/records/batch`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ writes: [{ zone: 'notes', id: 'from-b', baseVersion: 0, data: { text: 'hello from B' } }] }),
      });
      expect(write.status, await write.clone().text()).toBe(200);

      const answer = await poll;
      expect(answer.status).toBe(200);
      const page = (await answer.json()) as ChangesResponse;
      expect(page.changes.map((c) => [c.zone, c.id])).toEqual([['notes', 'from-b']]);
    } finally {
      const exitCodes = [await b.stop(), await a.stop()];
      await Promise.all([a.dispose(), b.dispose()]);
      await database.drop();
      expect(exitCodes).toEqual([0, 0]);
    }
  });
});

describe('nimbus serve --nats with NATS unreachable', () => {
  it('refuses to start, naming the URL, rather than running without cross-process wakeups', async () => {
    const url = `nats://127.0.0.1:${await unusedPort()}`;
    const start = spawnServer(['--probe-port', 'off', '--nats', url]);
    const failure = await start.then(
      () => null,
      (error: unknown) => String(error),
    );
    expect(failure).toMatch(/server exited with [1-9]/);
    expect(failure).toContain(`NATS at ${url} does not answer`);
  });
});

async function signUp(server: string): Promise<string> {
  const account = { email: 'nats@example.org', password: 'a long enough password' };
  const created = await fetch(`${server}/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) });
  expect(created.status).toBe(201);
  const login = await fetch(`${server}/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...account, deviceName: 'e2e' }),
  });
  expect(login.status).toBe(200);
  return ((await login.json()) as LoginResponse).accessToken;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}

/** A loopback port nobody listens on (bound, then released). */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
