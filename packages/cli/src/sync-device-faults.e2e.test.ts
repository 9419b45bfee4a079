// The device's own causes end to end, against `nimbus serve` over HTTPS: a clock days ahead (the CLI runs under
// libfaketime, so the certificate really reads as expired and the plain-HTTP probe gives the server's time:
// CLOCK_SKEW with the offset), and a full disk under the library (a small tmpfs: LOCAL_STORAGE_FULL, no file left
// half written under its name). Each is named on the first failed `nimbus sync`; a running agent resumes by itself once
// the clock is right again or space is freed.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, makeCertificateAuthority } from './testing/faults/certificates.js';
import { fakedClockEnv, faketimePreload, fillDisk, mountTmpfs, unmount } from './testing/faults/device-conditions.js';
import { spawnHttpsServer } from './testing/faults/fault-servers.js';
import { FaultStage, provePausedAndResumed, type FaultDevice } from './testing/faults/paused-case.js';

const DAY_MS = 86_400_000;

/** Every file under `dir`, temp files included (relative paths), sorted. */
async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

const preload = faketimePreload();

describe('device causes over HTTPS, proven end to end', { timeout: 90_000 }, () => {
  let certs: string;
  let stage: FaultStage;
  let phone: FaultDevice;

  beforeAll(async () => {
    certs = await mkdtemp(join(tmpdir(), 'nimbus-device-faults-e2e-'));
    const ca = makeCertificateAuthority();
    await writeFile(join(certs, 'ca.pem'), ca.cert);
    // Valid from an hour ago to a day from now: a clock days ahead reads it as expired.
    const certificate = makeCertificate({ commonName: '127.0.0.1', ca, notBefore: new Date(Date.now() - 3_600_000), notAfter: new Date(Date.now() + DAY_MS) });
    const server = await spawnHttpsServer(certificate, certs);
    stage = await FaultStage.open(server, { NIMBUS_REQUEST_TIMEOUT_MS: '2000', NODE_EXTRA_CA_CERTS: join(certs, 'ca.pem') });
    phone = await stage.directDevice('phone');
  });
  afterAll(async () => {
    await stage.dispose();
    await rm(certs, { recursive: true, force: true });
  });

  it.concurrent.skipIf(preload === undefined)('clock 3 days ahead (faketime): CLOCK_SKEW with the offset; the clock set right, the agent resumes alone', async () => {
    // libfaketime reads the offset from this file at every clock call: the agent's clock is set right while it runs.
    const clockFile = join(certs, 'faketime');
    await writeFile(clockFile, '+0\n');
    const { device, proxies } = await stage.proxiedDevice('skewed', {}, fakedClockEnv(preload ?? '', clockFile));
    let human = '';
    try {
      const proof = await provePausedAndResumed(device, {
        note: 'skewed',
        cause: 'CLOCK_SKEW',
        family: 'clock',
        remedies: ['set-clock-automatically'],
        fault: () => writeFile(clockFile, '+3d\n'),
        heal: async () => {
          human = (await device.cli(['status'])).stdout;
          await writeFile(clockFile, '+0\n');
        },
      });
      const offsetMs = proof.status.failure?.offsetMs ?? 0;
      expect(Math.abs(offsetMs - 3 * DAY_MS), `offset ${offsetMs}`).toBeLessThan(10 * 60_000);
      expect(proof.status.failure?.message).toContain("This device's clock is 3 days ahead of the server's");
      expect(proof.run.stdout).toMatch(/^Sync Paused — this device's clock is 3 days ahead of the server's\./);
      expect(human).toMatch(/^Sync Paused — this device's clock is 3 days ahead of the server's\./);
      expect(human).toContain('Fix: timedatectl set-ntp true');
      // Nothing went to the server while the certificate could not be trusted.
      await phone.sync();
      expect(await phone.read('Notes/skewed.md')).toBe('written before CLOCK_SKEW\n');
    } finally {
      await proxies.close();
    }
  });

  const disk = { mounted: false, dir: '' };
  afterAll(() => {
    if (disk.mounted) unmount(disk.dir);
  });

  it.concurrent('library disk full (tmpfs): LOCAL_STORAGE_FULL, nothing half written; space freed, the agent resumes alone', async ({ skip }) => {
    // The library of this device is its own small disk (a memory card, a USB drive): the home stays on the main disk.
    disk.dir = join(stage.root, 'small-disk', 'library');
    await mkdir(disk.dir, { recursive: true });
    disk.mounted = mountTmpfs(disk.dir, '2m');
    if (!disk.mounted) skip('mounting a tmpfs needs root');
    const device = await stage.directDevice('small-disk');
    const sender = await stage.directDevice('sender');
    await sender.write('Notes/shared.md', 'first version\n');
    await sender.sync();
    await device.sync();
    expect(await device.read('Notes/shared.md')).toBe('first version\n');
    await device.write('Notes/mine.md', 'written on the small disk\n');
    const filler = join(disk.dir, '.filler');
    await fillDisk(filler);
    const big = randomBytes(300_000);
    await sender.write('Drive/big.bin', big);
    await sender.write('Notes/from-sender.md', 'a note that does not fit yet\n');
    await sender.write('Notes/shared.md', `second version, longer than the first\n${'x'.repeat(20_000)}\n`);
    await sender.sync();

    const run = await device.cli(['sync']);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(3);
    expect(run.stdout).toMatch(/^Sync Paused — this device's disk is full\. Downloads are waiting; your changes still upload\./);
    const status = await device.status();
    expect(status.state).toBe('paused');
    expect(status.failure).toMatchObject({ cause: 'LOCAL_STORAGE_FULL', family: 'device' });
    expect(status.failure?.remedies.map((r) => r.id)).toEqual(['free-local-space', 'optimize-photos']);
    // No pulled file under its name, whole or half, and no temp file left behind.
    expect(await allFiles(disk.dir)).toEqual(['.filler', 'Notes/mine.md', 'Notes/shared.md']);
    // A file the pull would replace keeps its old bytes whole.
    expect(await device.read('Notes/shared.md')).toBe('first version\n');
    // Uploads went on: the note written here reached the other device.
    await sender.sync();
    expect(await sender.read('Notes/mine.md')).toBe('written on the small disk\n');
    const human = await device.cli(['status']);
    expect(human.stdout).toMatch(/^Sync Paused — this device's disk is full\. Downloads are waiting; your changes still upload\./);

    const agent = device.agent();
    try {
      await agent.waitFor(/Sync Paused — this device's disk is full/, 30_000);
      const mark = agent.output().length;
      await rm(filler);
      await agent.waitFor(/Up to date/, 30_000, mark);
      expect(sha(await readFile(device.path('Drive/big.bin')))).toBe(sha(big));
      expect(await device.read('Notes/from-sender.md')).toBe('a note that does not fit yet\n');
      expect(await device.read('Notes/shared.md')).toMatch(/^second version, longer than the first\nx{20000}\n$/);
      const resumed = await device.status();
      expect(resumed).toMatchObject({ state: 'idle', failure: null });
    } finally {
      await agent.stop();
    }
  });
});
