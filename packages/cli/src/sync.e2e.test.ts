// Sync as users meet it: a real server process and device processes with their own NIMBUS_HOME and library.
import { syncStatusJsonSchema } from '@nimbus/protocol';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device, sortedEntries, tinyJpeg } from './testing/device.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

const vcard = (uid: string, fn: string, extra: string[] = []) =>
  ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, `FN:${fn}`, ...extra, 'END:VCARD', ''].join('\r\n');

/** Until `check` holds (or throws after `timeoutMs`). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('nimbus sync / agent / status / services between devices', { timeout: 180_000 }, () => {
  let server: SpawnedServer;
  let root: string;
  let a: Device;
  let b: Device;
  const email = 'sync@example.org';
  const password = 'sync passphrase';

  /** Syncs until both libraries hold the same files (a change may need A → B → A). */
  const converge = async (devices: Device[] = [a, b]) => {
    for (let round = 0; round < 3; round++) {
      for (const d of devices) await d.sync();
      const [first, ...rest] = await Promise.all(devices.map((d) => d.hashes()));
      if (rest.every((h) => JSON.stringify(sortedEntries(h)) === JSON.stringify(sortedEntries(first ?? new Map())))) return first ?? new Map();
    }
    const all = await Promise.all(devices.map(async (d) => [d.name, sortedEntries(await d.hashes())] as const));
    throw new Error(`libraries did not converge: ${JSON.stringify(all, null, 1)}`);
  };

  beforeAll(async () => {
    server = await spawnServer(['--probe-port', 'off']);
    root = await mkdtemp(join(tmpdir(), 'nimbus-sync-e2e-'));
    a = new Device('laptop', root);
    b = new Device('phone', root);
    await a.init();
    await b.init();
    const created = await runCli(['account', 'create', '--server', server.url, '--email', email], { NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
    await a.login(server.url, email, password);
    await b.login(server.url, email, password);
  });
  afterAll(async () => {
    await server.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('a first sync of empty libraries is up to date, and status --json has the contract shape', async () => {
    await a.sync();
    const status = await a.cli(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const json = JSON.parse(status.stdout) as unknown;
    const parsed = syncStatusJsonSchema.safeParse(json);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(json).toMatchObject({ state: 'idle', failure: null, pending: { contacts: 0, notes: 0, photos: 0, drive: 0 } });
    const human = await a.cli(['status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^Up to date/);
  });

  it('creates, edits and deletes on each device converge: contacts, notes, a photo, Drive files and folders', async () => {
    await a.write('Contacts/ada.vcf', vcard('ada-1', 'Ada Lovelace', ['EMAIL:ada@example.org']));
    await a.write('Notes/todo.md', '# Todo\n\n- milk\n- bread\n');
    await a.write('Photos/cat.jpg', tinyJpeg('cat'));
    await b.write('Drive/Projects/plan.txt', 'the plan\n');
    await b.write('Drive/Projects/Sub/deep.bin', Buffer.alloc(300_000, 7));
    await b.write('Notes/ideas.txt', 'ideas\n');
    const synced = await converge();
    expect([...synced.keys()].sort()).toEqual(
      ['Contacts/ada.vcf', 'Drive/Projects/Sub/deep.bin', 'Drive/Projects/plan.txt', 'Notes/ideas.txt', 'Notes/todo.md', 'Photos/cat.jpg'].sort(),
    );
    expect(await b.read('Notes/todo.md')).toBe('# Todo\n\n- milk\n- bread\n');

    await b.write('Notes/todo.md', '# Todo\n\n- milk\n- bread\n- eggs\n');
    await a.write('Drive/Projects/plan.txt', 'the better plan\n');
    await a.remove('Notes/ideas.txt');
    await b.remove('Photos/cat.jpg');
    await converge();
    expect(await a.read('Notes/todo.md')).toContain('- eggs');
    expect(await b.read('Drive/Projects/plan.txt')).toBe('the better plan\n');
    for (const d of [a, b]) {
      expect(await d.exists('Notes/ideas.txt')).toBe(false);
      expect(await d.exists('Photos/cat.jpg')).toBe(false);
    }
  });

  it('concurrent edits of one note and of one contact merge', async () => {
    await a.write('Notes/shared.md', 'line one\nline two\nline three\nline four\nline five\n');
    await a.write('Contacts/bob.vcf', vcard('bob-1', 'Bob', ['EMAIL:bob@example.org', 'TEL:+100']));
    await converge();
    await a.write('Notes/shared.md', 'line ONE from laptop\nline two\nline three\nline four\nline five\n');
    await b.write('Notes/shared.md', 'line one\nline two\nline three\nline four\nline FIVE from phone\n');
    await a.write('Contacts/bob.vcf', vcard('bob-1', 'Bob', ['EMAIL:bob@new.example.org', 'TEL:+100']));
    await b.write('Contacts/bob.vcf', vcard('bob-1', 'Bob', ['EMAIL:bob@example.org', 'TEL:+200']));
    await converge();
    for (const d of [a, b]) {
      const note = await d.read('Notes/shared.md');
      expect(note).toContain('line ONE from laptop');
      expect(note).toContain('line FIVE from phone');
      const card = await d.read('Contacts/bob.vcf');
      expect(card).toContain('bob@new.example.org');
      expect(card).toContain('+200');
    }
  });

  it('the same Drive file changed on two devices leaves one conflict copy on both', async () => {
    await a.write('Drive/report.txt', 'v1\n');
    await converge();
    await a.write('Drive/report.txt', 'laptop version\n');
    await b.write('Drive/report.txt', 'phone version\n');
    await converge();
    for (const d of [a, b]) {
      const names = (await d.list('Drive')).filter((n) => n.startsWith('report'));
      expect(names, d.name).toHaveLength(2);
      const copy = names.find((n) => n !== 'report.txt') ?? '';
      expect(copy).toMatch(/^report \(conflict from (laptop|phone) \d{4}-\d{2}-\d{2}\)\.txt$/);
      const texts = [await d.read('Drive/report.txt'), await d.read(`Drive/${copy}`)].sort();
      expect(texts).toEqual(['laptop version\n', 'phone version\n']);
    }
  });

  it('deletes never come back', async () => {
    await a.write('Drive/old.txt', 'old\n');
    await a.write('Notes/old.md', 'old note\n');
    await converge();
    await a.remove('Drive/old.txt');
    await b.remove('Notes/old.md');
    for (let i = 0; i < 2; i++) await converge();
    for (const d of [a, b]) {
      expect(await d.exists('Drive/old.txt')).toBe(false);
      expect(await d.exists('Notes/old.md')).toBe(false);
    }
  });

  it("passes talk to the server over node:http alone: uploads, downloads and a pass with nothing to do never load fetch's undici", async () => {
    // undici costs a device command ~40 ms of loading and a WebAssembly compile its exit waits for.
    const check = join(root, 'undici-check.mjs');
    await writeFile(check, "process.on('exit', () => process.stderr.write(`undici modules: ${process.moduleLoadList.filter((m) => m.includes('undici')).length}\\n`));\n");
    const watched = { NODE_OPTIONS: `--import=${pathToFileURL(check).href}` };
    await b.write('Drive/fetchless.txt', 'sent and received over node:http\n');
    for (const d of [b, a, a]) {
      const pass = await d.cli(['sync'], watched);
      expect(pass.code, pass.stderr).toBe(0);
      expect(pass.stderr).toContain('undici modules: 0');
    }
    expect(await a.read('Drive/fetchless.txt')).toBe('sent and received over node:http\n');
  });

  it('services: list, disable, enable; unknown service and bad flags are one-line usage errors', async () => {
    const disabled = await a.cli(['services', 'disable', 'photos', 'drive']);
    expect(disabled.code, disabled.stderr).toBe(0);
    const list = await a.cli(['services', 'list', '--json']);
    const services = (JSON.parse(list.stdout) as { services: { service: string; enabled: boolean }[] }).services;
    expect(services.filter((s) => !s.enabled).map((s) => s.service)).toEqual(['photos', 'drive']);
    await a.write('Drive/while-off.txt', 'not yet\n');
    await a.sync();
    await b.sync();
    expect(await b.exists('Drive/while-off.txt')).toBe(false);
    expect((await a.cli(['services', 'enable', 'photos', 'drive', '--cellular', 'off'])).code).toBe(0);
    await converge();
    expect(await b.read('Drive/while-off.txt')).toBe('not yet\n');
    expect((await a.cli(['services', 'enable', 'drive', '--cellular', 'on'])).code).toBe(0);

    for (const args of [['services', 'enable', 'fotos'], ['services', 'disable'], ['services', 'enable', 'drive', '--cellular', 'maybe']]) {
      const run = await a.cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('a metered network: Drive (cellular off) waits for Wi-Fi without a pause, notes still go; off again, Drive goes', async () => {
    expect((await a.cli(['services', 'enable', 'drive', '--cellular', 'off'])).code).toBe(0);
    const on = await a.cli(['network', 'metered', 'on']);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/metered — .*drive.* wait for Wi-Fi/);
    expect(JSON.parse((await a.cli(['network', '--json'])).stdout)).toMatchObject({ metered: true, waitingForWifi: expect.arrayContaining(['drive']) });
    await a.write('Drive/on-cellular.bin', 'waits for Wi-Fi\n');
    await a.write('Notes/on-cellular.md', 'small and essential\n');
    const run = await a.sync(); // waiting for Wi-Fi is not a failure: exit 0
    expect(run.stdout).toMatch(/waiting for Wi-Fi/);
    const status = JSON.parse((await a.cli(['status', '--json'])).stdout) as { failure: unknown; pending: Record<string, number> };
    expect(status.failure).toBeNull();
    expect(status.pending['drive']).toBeGreaterThan(0);
    await b.sync();
    expect(await b.read('Notes/on-cellular.md')).toBe('small and essential\n');
    expect(await b.exists('Drive/on-cellular.bin')).toBe(false);

    expect((await a.cli(['network', 'metered', 'off'])).stdout).toMatch(/not metered/);
    await converge();
    expect(await b.read('Drive/on-cellular.bin')).toBe('waits for Wi-Fi\n');
    for (const args of [['network', 'metered', 'sometimes'], ['network', 'metered'], ['network', 'bogus']]) {
      const wrong = await a.cli(args);
      expect(wrong.code, args.join(' ')).toBe(2);
      expect(wrong.stderr.trim().split('\n').length, args.join(' ')).toBeLessThanOrEqual(2);
    }
    expect((await a.cli(['services', 'enable', 'drive', '--cellular', 'on'])).code).toBe(0);
  });

  it('wrong input: a missing library folder, not signed in — one line, non-zero exit', async () => {
    const missing = await a.cli(['sync'], { NIMBUS_LIBRARY: join(root, 'no-such-folder') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-such-folder');
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const nobody = new Device('nobody', root);
    await nobody.init();
    const signedOut = await nobody.sync(3).catch(async () => nobody.cli(['sync']));
    expect(signedOut.code).not.toBe(0);
    expect(signedOut.stderr + signedOut.stdout).toMatch(/login/);
  });

  it('an agent picks up a dropped file and another device\'s agent receives it without a manual sync; a second agent is refused', async () => {
    await converge();
    const agentA = a.agent();
    const agentB = b.agent();
    try {
      await agentA.waitFor(/up to date/i);
      await agentB.waitFor(/up to date/i);
      const second = await a.cli(['agent']);
      expect(second.code).not.toBe(0);
      expect(second.code).not.toBeNull();
      expect(second.stderr).toMatch(/already running/);
      expect(second.stderr.trim().split('\n')).toHaveLength(1);

      await a.write('Drive/dropped.txt', 'dropped on the laptop\n');
      await eventually(() => b.exists('Drive/dropped.txt'), 30_000, 'the phone to receive Drive/dropped.txt');
      expect(await b.read('Drive/dropped.txt')).toBe('dropped on the laptop\n');
      await b.write('Notes/from-phone.md', 'hello laptop\n');
      await eventually(() => a.exists('Notes/from-phone.md'), 30_000, 'the laptop to receive Notes/from-phone.md');

      // A configuration change reaches the running agent: Drive off, a file waits; Drive on, it goes.
      const disable = await a.cli(['services', 'disable', 'drive']);
      expect(disable.code, disable.stderr).toBe(0);
      await a.write('Drive/after-config.txt', 'sent once Drive is back on\n');
      await new Promise((r) => setTimeout(r, 3000));
      expect(await b.exists('Drive/after-config.txt')).toBe(false);
      const enable = await a.cli(['services', 'enable', 'drive']);
      expect(enable.code, enable.stderr).toBe(0);
      await eventually(() => b.exists('Drive/after-config.txt'), 30_000, 'the phone to receive Drive/after-config.txt');
    } finally {
      expect(await agentA.stop('SIGINT')).toBe(0);
      expect(await agentB.stop('SIGTERM')).toBe(0);
    }
    await converge();
  });
});
