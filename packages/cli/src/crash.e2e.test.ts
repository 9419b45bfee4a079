// kill -9 of the agent at random moments during uploads and downloads: nothing is lost, duplicated or corrupted.
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device, sortedEntries } from './testing/device.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

const KILLS = Number(process.env['NIMBUS_CRASH_KILLS'] ?? 50);
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FeedRecord {
  zone: string;
  id: string;
  deleted: boolean;
  data: Record<string, unknown> | null;
}

/** Every live record of the account, read from scratch with the device's stored access token. */
async function serverRecords(server: string, home: string): Promise<FeedRecord[]> {
  const session = JSON.parse(await readFile(join(home, 'session.json'), 'utf8')) as { tokens: { accessToken: string } };
  const all: FeedRecord[] = [];
  let since: string | undefined;
  for (;;) {
    const url = `${server}/v1/changes?limit=5000${since ? `&since=${encodeURIComponent(since)}` : ''}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${session.tokens.accessToken}`, 'nimbus-protocol': '1' } });
    if (!res.ok) throw new Error(`feed: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { changes: FeedRecord[]; token: string; more: boolean };
    all.push(...page.changes);
    since = page.token;
    if (!page.more) break;
  }
  const latest = new Map(all.map((r) => [`${r.zone}/${r.id}`, r]));
  return [...latest.values()].filter((r) => !r.deleted);
}

describe('crash safety of the agent (kill -9 during transfers)', { timeout: 240_000 }, () => {
  let server: SpawnedServer;
  let root: string;
  let a: Device;
  let b: Device;
  /** What the libraries must hold at the end: relative path → SHA-256. */
  const expected = new Map<string, string>();

  beforeAll(async () => {
    server = await spawnServer(['--probe-port', 'off']);
    root = await mkdtemp(join(tmpdir(), 'nimbus-crash-e2e-'));
    a = new Device('alpha', root);
    b = new Device('beta', root);
    await a.init();
    await b.init();
    const email = 'crash@example.org';
    const password = 'crash passphrase';
    const created = await runCli(['account', 'create', '--server', server.url, '--email', email], { NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
    await a.login(server.url, email, password);
    await b.login(server.url, email, password);
  });
  afterAll(async () => {
    if (process.env['NIMBUS_KEEP_E2E'] === '1') await server.stop();
    else await server.dispose();
    // NIMBUS_KEEP_E2E=1 keeps the homes, libraries and server data to look at after a failure.
    if (process.env['NIMBUS_KEEP_E2E'] === '1') process.stderr.write(`kept ${root} and ${server.dataDir}\n`);
    else await rm(root, { recursive: true, force: true });
  });

  const put = async (device: Device, rel: string, content: Buffer | string) => {
    await device.write(rel, content);
    expected.set(rel, sha(content));
  };
  const bigFile = () => randomBytes((2 + Math.floor(Math.random() * 5)) * 1024 * 1024 + Math.floor(Math.random() * 1000));

  it(`survives ${KILLS} kills, then a final sync leaves both devices and the server identical`, async () => {
    for (let i = 0; i < 6; i++) await put(a, `Drive/big/a-${i}.bin`, bigFile());
    for (let i = 0; i < 3; i++) await put(b, `Drive/big/b-${i}.bin`, bigFile());
    for (let i = 0; i < 5; i++) await put(a, `Notes/note-${i}.md`, `note ${i}\n`);
    for (let i = 0; i < 3; i++) await put(b, `Contacts/c${i}.vcf`, `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c${i}\r\nFN:Person ${i}\r\nEND:VCARD\r\n`);

    let kills = 0;
    let diedEarly = 0;
    while (kills < KILLS) {
      const device = kills % 2 === 0 ? a : b;
      // New work now and then, so uploads and downloads keep happening on both sides.
      if (kills % 10 === 5) await put(device, `Drive/big/${device.name}-late-${kills}.bin`, bigFile());
      if (kills % 10 === 7) await put(device, `Notes/late-${kills}.md`, `written between kills ${kills}\n`);
      const agent = device.agent();
      await agent.waitFor(/agent|sync|up to date/i, 20_000).catch(() => undefined);
      await sleep(Math.floor(Math.random() * 400));
      if (agent.process.exitCode !== null) diedEarly++;
      await agent.stop('SIGKILL');
      kills++;
    }
    expect(diedEarly).toBeLessThan(KILLS / 2);

    for (let round = 0; round < 2; round++) {
      await a.sync();
      await b.sync();
    }
    const [hashesA, hashesB] = await Promise.all([a.hashes(), b.hashes()]);
    expect(sortedEntries(hashesA)).toEqual(sortedEntries(expected));
    expect(sortedEntries(hashesB)).toEqual(sortedEntries(expected));

    const records = await serverRecords(server.url, a.home);
    const files = records.filter((r) => r.zone !== 'drive' || r.data?.['kind'] === 'file');
    const byZone = (zone: string) => files.filter((r) => r.zone === zone).length;
    const expectedIn = (folder: string) => [...expected.keys()].filter((k) => k.startsWith(`${folder}/`)).length;
    expect({ drive: byZone('drive'), notes: byZone('notes'), contacts: byZone('contacts') }).toEqual({
      drive: expectedIn('Drive'),
      notes: expectedIn('Notes'),
      contacts: expectedIn('Contacts'),
    });
  });
});
