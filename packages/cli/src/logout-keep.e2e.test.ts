// Signing out and back in without loss: `nimbus logout --keep contacts,notes` while a Drive change is unsent (refused,
// then forced: the change lands in Recovered/, Photos and Drive leave the device), edits on both sides while signed
// out, then `nimbus login`: both devices converge with every edit, nothing duplicated, Drive and Photos back.
import type { NimbusRecord } from '@nimbus/protocol';
import { mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from './testing/faults/fault-proxy.js';
import { liveServerRecords } from './testing/server-records.js';
import { Device, sortedEntries, tinyJpeg } from './testing/device.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

const vcard = (uid: string, fn: string, extra: string[] = []) => ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, `FN:${fn}`, ...extra, 'END:VCARD', ''].join('\r\n');

describe('nimbus logout --keep, edits on both sides, nimbus login', { timeout: 180_000 }, () => {
  let server: SpawnedServer;
  let proxy: FaultProxy;
  let root: string;
  let a: Device;
  let b: Device;
  const email = 'keep@example.org';
  const password = 'keep passphrase';
  const photo = tinyJpeg('beach');

  beforeAll(async () => {
    server = await spawnServer(['--probe-port', 'off']);
    // A reaches the server through a proxy that can refuse (to leave a change unsent); B goes straight.
    proxy = await FaultProxy.start({ target: server.url });
    root = await mkdtemp(join(tmpdir(), 'nimbus-logout-keep-e2e-'));
    const created = await runCli(['account', 'create', '--server', server.url, '--email', email], { NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
    a = new Device('laptop', root);
    b = new Device('phone', root);
    await a.init();
    await b.init();
    await a.login(proxy.url(), email, password);
    await b.login(server.url, email, password);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  /** Library files (path → hash) without the recovery folders, which are this device's own. */
  const synced = async (d: Device): Promise<[string, string][]> => sortedEntries(await d.hashes()).filter(([path]) => !path.startsWith('Recovered/'));
  const converge = async (devices: Device[]): Promise<[string, string][]> => {
    for (let round = 0; round < 3; round++) {
      for (const d of devices) await d.sync();
      const [first, ...rest] = await Promise.all(devices.map(async (d) => JSON.stringify(await synced(d))));
      if (rest.every((h) => h === first)) return JSON.parse(first ?? '[]') as [string, string][];
    }
    throw new Error(`libraries did not converge: ${JSON.stringify(await Promise.all(devices.map(synced)))}`);
  };
  /** Every live record of the account, read from the feed from the start. */
  const serverRecords = (): Promise<NimbusRecord[]> => liveServerRecords(server.url, email, password);

  it('refuses while a Drive change is unsent, --force saves it in Recovered/, and a new login converges with no duplicate', async () => {
    await a.write('Contacts/ada.vcf', vcard('ada-1', 'Ada Lovelace'));
    await a.write('Contacts/bob.vcf', vcard('bob-1', 'Bob Builder'));
    await a.write('Notes/plan.md', 'the plan\n');
    await a.write('Notes/diary.md', 'dear diary\n');
    await a.write('Photos/beach.jpg', photo);
    await a.write('Drive/report.txt', 'report v1\n');
    await a.write('Drive/docs/spec.txt', 'spec v1\n');
    await a.sync();
    await b.sync();
    expect(await synced(b)).toEqual(await synced(a));

    // A's Drive edit and new file are queued, not sent: its server refuses connections for one pass.
    await a.write('Drive/report.txt', 'report v2, never sent\n');
    await a.write('Drive/draft.txt', 'a draft, never sent\n');
    await proxy.setMode('refuse');
    await a.sync(3);
    await proxy.setMode('pass');
    const queued = JSON.parse((await a.cli(['status', '--json'])).stdout) as { pending: Record<string, number> };
    expect(queued.pending).toMatchObject({ drive: 2, notes: 0, contacts: 0 });

    // Wrong input: one line each, a usage exit.
    const unknown = await a.cli(['logout', '--keep', 'contacts,calendar']);
    expect([unknown.code, unknown.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(unknown.stderr).toContain('unknown service "calendar"');
    const both = await a.cli(['logout', '--keep', 'notes', '--keep-all']);
    expect([both.code, both.stderr.trim().split('\n').length]).toEqual([2, 1]);
    // Not while an agent syncs the device.
    const agent = b.agent();
    try {
      await agent.waitFor(/Up to date/, 30_000);
      const busy = await b.cli(['logout']);
      expect(busy.code).not.toBe(0);
      expect(busy.stderr.trim().split('\n')).toHaveLength(1);
      expect(busy.stderr).toContain('stop the agent first');
    } finally {
      await agent.stop();
    }
    await expect(readFile(join(b.home, 'session.json'), 'utf8')).resolves.toContain(email);

    // Refused while unsent, naming what and --force; nothing changed.
    const refused = await a.cli(['logout', '--keep', 'contacts,notes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain('2 changes not yet sent (2 Drive files)');
    expect(refused.stderr).toContain('--force');
    expect(await a.list('Drive')).toEqual(['docs/spec.txt', 'draft.txt', 'report.txt']);
    expect(await a.list('Photos')).toEqual(['beach.jpg']);

    const forced = await a.cli(['logout', '--keep', 'contacts,notes', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Removed from this device: photos (1 file), drive (1 file)');
    const recovered = /Saved 2 changes not yet sent in (.+) \(README/.exec(forced.stdout)?.[1];
    expect(recovered, forced.stdout).toMatch(new RegExp(`^${a.library}/Recovered/\\d{4}-\\d\\d-\\d\\d \\d\\d\\.\\d\\d\\.\\d\\d$`));
    expect(forced.stdout).toContain(`Signed out of ${proxy.url()}`);
    expect(await readFile(join(recovered ?? '', 'Drive/report.txt'), 'utf8')).toBe('report v2, never sent\n');
    expect(await readFile(join(recovered ?? '', 'Drive/draft.txt'), 'utf8')).toBe('a draft, never sent\n');
    expect(await readFile(join(recovered ?? '', 'README.txt'), 'utf8')).toContain('Drive/draft.txt: new here, not yet sent');
    // Photos and Drive left A (empty folders stay); Contacts and Notes stayed as plain files.
    expect(await a.list('Photos')).toEqual([]);
    expect(await a.list('Drive')).toEqual([]);
    expect(await readdir(a.path('Drive'))).toEqual([]);
    expect(await a.list('Contacts')).toEqual(['ada.vcf', 'bob.vcf']);
    expect(await a.list('Notes')).toEqual(['diary.md', 'plan.md']);
    expect((await a.cli(['sync'])).code).toBe(3);

    // Signed out: A edits a note and a contact here; B edits another note and a Drive file.
    await a.write('Notes/plan.md', 'the plan\nwith a step added while signed out\n');
    await a.write('Contacts/ada.vcf', vcard('ada-1', 'Ada Lovelace', ['TEL:+44 20 7946 0000']));
    await b.write('Notes/diary.md', 'dear diary\nB wrote this while A was away\n');
    await b.write('Drive/docs/spec.txt', 'spec v2 from B\n');
    await b.sync();
    // The person takes the draft back from the recovery folder (report v2 stays there).
    await rename(join(recovered ?? '', 'Drive/draft.txt'), a.path('Drive/draft.txt'));

    await a.login(proxy.url(), email, password);
    // Not "up to date" from before the sign-out: status tells to sync.
    expect((await a.cli(['status'])).stdout).toMatch(/^Signed in — run nimbus sync/);
    const files = await converge([a, b]);
    const byFolder = (folder: string) => files.filter(([path]) => path.startsWith(`${folder}/`)).map(([path]) => path);
    expect(byFolder('Contacts')).toEqual(['Contacts/ada.vcf', 'Contacts/bob.vcf']);
    expect(byFolder('Notes')).toEqual(['Notes/diary.md', 'Notes/plan.md']);
    expect(byFolder('Photos')).toEqual(['Photos/beach.jpg']);
    expect(byFolder('Drive')).toEqual(['Drive/docs/spec.txt', 'Drive/draft.txt', 'Drive/report.txt']);

    // A's offline edits reached B; B's reached A; Drive and Photos came back to A (the unsent v2 stays in Recovered/).
    expect(await b.read('Notes/plan.md')).toBe('the plan\nwith a step added while signed out\n');
    expect(await b.read('Contacts/ada.vcf')).toContain('TEL:+44 20 7946 0000');
    expect(await a.read('Notes/diary.md')).toBe('dear diary\nB wrote this while A was away\n');
    expect(await a.read('Drive/docs/spec.txt')).toBe('spec v2 from B\n');
    expect(await a.read('Drive/report.txt')).toBe('report v1\n');
    expect(await b.read('Drive/draft.txt')).toBe('a draft, never sent\n');
    expect(await a.readBytes('Photos/beach.jpg')).toEqual(photo);

    // The account holds one record per item.
    const records = await serverRecords();
    const count = (zone: string) => records.filter((r) => r.zone === zone && r.data?.['kind'] !== 'folder').length;
    expect([count('contacts'), count('notes'), count('photos'), count('drive')]).toEqual([2, 2, 1, 3]);
    for (const d of [a, b]) expect((await d.sync()).stdout).not.toMatch(/\d+ sent/);
  });

  it('plain logout keeps every file and the queue: refused while a new note is unsent, forced, and sent once after login', async () => {
    const c = new Device('tablet', root);
    await c.init();
    await c.login(server.url, email, password);
    await converge([c, b]);
    const before = await synced(c);

    await c.write('Notes/from the tablet.md', 'written just before signing out\n');
    const refused = await c.cli(['logout']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('1 change not yet sent (1 note)');
    const forced = await c.cli(['logout', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).not.toContain('Removed');
    expect(await c.exists('Recovered')).toBe(false);
    expect((await synced(c)).filter(([path]) => path !== 'Notes/from the tablet.md')).toEqual(before);

    await c.write('Notes/plan.md', 'the plan\nwith a step added while signed out\nand one from the tablet\n');
    await c.login(server.url, email, password);
    const files = await converge([c, b, a]);
    expect(files.filter(([path]) => path.startsWith('Notes/')).map(([path]) => path)).toEqual(['Notes/diary.md', 'Notes/from the tablet.md', 'Notes/plan.md']);
    expect(await b.read('Notes/plan.md')).toBe('the plan\nwith a step added while signed out\nand one from the tablet\n');
    expect((await serverRecords()).filter((r) => r.zone === 'notes')).toHaveLength(3);
  });

  it('logout --keep none --forget empties the library; signing in again brings everything back once', async () => {
    const before = await synced(b);
    const out = await b.cli(['logout', '--keep', 'none', '--forget']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('Removed from this device: contacts (2 files), notes (3 files), photos (1 file), drive (3 files)');
    expect(await synced(b)).toEqual([]);
    await b.login(server.url, email, password);
    await b.sync();
    expect(await synced(b)).toEqual(before);
    const records = await serverRecords();
    expect(records.filter((r) => r.data?.['kind'] !== 'folder')).toHaveLength(2 + 3 + 1 + 3);
  });
});
