// Libraries that meet an account with copies of its files: a fresh state on a library that already holds
// the account's files, and two devices that made the same name on their own. Nothing is duplicated, nothing
// is lost, and every device ends with the same files.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device, sortedEntries } from './testing/device.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

const vcard = (uid: string, fn: string) => ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, `FN:${fn}`, 'END:VCARD', ''].join('\r\n');

describe('reconciling a library with the account', { timeout: 120_000 }, () => {
  let server: SpawnedServer;
  let root: string;
  const email = 'reconcile@example.org';
  const password = 'reconcile passphrase';

  beforeAll(async () => {
    server = await spawnServer(['--probe-port', 'off']);
    root = await mkdtemp(join(tmpdir(), 'nimbus-reconcile-e2e-'));
    const created = await runCli(['account', 'create', '--server', server.url, '--email', email], { NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
  });
  afterAll(async () => {
    await server.dispose();
    await rm(root, { recursive: true, force: true });
  });

  const device = async (name: string): Promise<Device> => {
    const d = new Device(name, root);
    await d.init();
    await d.login(server.url, email, password);
    return d;
  };
  const converge = async (devices: Device[]) => {
    for (let round = 0; round < 3; round++) {
      for (const d of devices) await d.sync();
      const [first, ...rest] = await Promise.all(devices.map(async (d) => JSON.stringify(sortedEntries(await d.hashes()))));
      if (rest.every((h) => h === first)) return JSON.parse(first ?? '[]') as [string, string][];
    }
    const all = await Promise.all(devices.map(async (d) => [d.name, sortedEntries(await d.hashes()).map(([p]) => p)] as const));
    throw new Error(`libraries did not converge: ${JSON.stringify(all)}`);
  };

  it('a new device whose library already holds the files (one edited) adopts them: no duplicates, the edit goes up', async () => {
    const laptop = await device('laptop');
    await laptop.write('Notes/plan.md', 'the plan\n');
    await laptop.write('Drive/report.txt', 'report v1\n');
    await laptop.write('Contacts/ada.vcf', vcard('ada-1', 'Ada Lovelace'));
    await laptop.sync();

    const desktop = new Device('desktop', root);
    await desktop.init();
    await cp(laptop.library, desktop.library, { recursive: true });
    await desktop.write('Notes/plan.md', 'the plan\nwith a step added offline\n');
    await desktop.login(server.url, email, password);

    const files = await converge([desktop, laptop]);
    expect(files.map(([path]) => path)).toEqual(['Contacts/ada.vcf', 'Drive/report.txt', 'Notes/plan.md']);
    expect(await laptop.read('Notes/plan.md')).toBe('the plan\nwith a step added offline\n');
  });

  it('two devices that made the same note and file name on their own keep both, under names every device agrees on', async () => {
    const phone = await device('phone');
    const tablet = await device('tablet');
    await phone.sync();
    await tablet.sync();
    await phone.write('Notes/todo.md', 'milk\n');
    await tablet.write('Notes/todo.md', 'bread\n');
    await phone.write('Drive/same.txt', 'from the phone\n');
    await tablet.write('Drive/same.txt', 'from the tablet\n');
    await phone.sync();
    await tablet.sync();

    const files = await converge([phone, tablet]);
    const notes = files.filter(([path]) => path.startsWith('Notes/todo'));
    const drive = files.filter(([path]) => path.startsWith('Drive/same'));
    expect(notes).toHaveLength(2);
    expect(drive).toHaveLength(2);
    const texts = await Promise.all([...notes, ...drive].map(([path]) => phone.read(path)));
    expect(texts.sort()).toEqual(['bread\n', 'from the phone\n', 'from the tablet\n', 'milk\n']);
  });
});
