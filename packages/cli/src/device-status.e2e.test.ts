// Devices report their sync to the server (seen from another device and through GET /v1/devices), and the account's
// per-service switches stop a service on every device.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DevicesResponse, SyncStatusJson } from '@nimbus/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device } from './testing/device.js';
import { liveServerRecords } from './testing/server-records.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

const password = 'devices passphrase';

/** Retries `check` until it stops throwing (an agent acts on its own time); the last failure if it never does. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('device status and account services', { timeout: 180_000 }, () => {
  let server: SpawnedServer;
  let root: string;

  async function account(email: string, ...names: string[]): Promise<Device[]> {
    const created = await runCli(['account', 'create', '--server', server.url, '--email', email], { NIMBUS_HOME: join(root, `admin-${email}`), NIMBUS_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
    const made: Device[] = [];
    for (const name of names) {
      const device = new Device(name, root);
      await device.init();
      await device.login(server.url, email, password);
      made.push(device);
    }
    return made;
  }
  /** A plain API call as `device` (its session's access token), as the dashboard would make it. */
  const apiAs = async (device: Device, path: string, init: RequestInit = {}) => {
    const session = JSON.parse(await readFile(join(device.home, 'session.json'), 'utf8')) as { tokens: { accessToken: string } };
    const headers = { authorization: `Bearer ${session.tokens.accessToken}`, 'nimbus-protocol': '1', ...(init.body ? { 'content-type': 'application/json' } : {}) };
    return fetch(`${server.url}${path}`, { ...init, headers });
  };
  const statusOf = async (device: Device) => JSON.parse((await device.cli(['status', '--json'])).stdout) as SyncStatusJson;

  beforeAll(async () => {
    server = await spawnServer(['--probe-port', 'off', '--default-quota', '2MB']);
    root = await mkdtemp(join(tmpdir(), 'nimbus-devices-e2e-'));
  });
  afterAll(async () => {
    await server.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it("a device paused for a full account is seen so by the account's other device and through GET /v1/devices", async () => {
    const [laptop, phone] = await account('full@example.org', 'laptop', 'phone');
    if (!laptop || !phone) throw new Error('no devices');
    await laptop.write('Drive/huge.bin', randomBytes(3_000_000));
    const run = await laptop.cli(['sync']);
    expect(run.code, run.stderr).toBe(3);

    const listed = await phone.cli(['account', 'devices', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const seen = (JSON.parse(listed.stdout) as DevicesResponse).devices.find((d) => d.deviceName === 'laptop');
    expect(seen?.status).toMatchObject({ state: 'paused', failure: { cause: 'QUOTA_EXCEEDED', family: 'storage' } });
    expect(seen?.status?.failure?.remedies.length).toBeGreaterThan(0);
    expect(seen?.status?.banner).toMatch(/^Sync Paused — storage full/);
    expect(seen?.status?.pending.drive).toBeGreaterThan(0);

    const human = await phone.cli(['account', 'devices']);
    expect(human.stdout).toMatch(/laptop[^\n]*\n\s+sync: paused \(QUOTA_EXCEEDED\) — Sync Paused — storage full/);
    expect(human.stdout).toMatch(/phone \(this device\)[^\n]*\n\s+sync: not reported yet/);

    // The dashboard's way: a plain API call with a session's token.
    const body = (await (await apiAs(phone, '/v1/devices')).json()) as Required<DevicesResponse>;
    expect(body.devices.find((d) => d.deviceName === 'laptop')?.status?.failure?.cause).toBe('QUOTA_EXCEEDED');
    expect(typeof body.revision).toBe('string');

    // The banner's way out: with the laptop's agent running, the quota is raised (this first account is the server's
    // admin); the agent resumes by itself, and a watcher long-polling GET /v1/devices hears it is up to date.
    const agent = laptop.agent();
    try {
      await agent.waitFor(/Sync Paused — storage full/);
      const { id } = (await (await apiAs(phone, '/v1/account')).json()) as { id: string };
      const raised = await apiAs(phone, `/v1/admin/accounts/${id}/quota`, { method: 'PUT', body: JSON.stringify({ quotaBytes: 20_000_000 }) });
      expect(raised.status).toBe(200);
      let revision = body.revision;
      const laptopState = await eventually(async () => {
        const page = (await (await apiAs(phone, `/v1/devices?since=${revision}&wait=20`)).json()) as Required<DevicesResponse>;
        revision = page.revision;
        const state = page.devices.find((d) => d.deviceName === 'laptop')?.status;
        expect(state?.state).toBe('idle');
        return state;
      }, 60_000);
      expect(laptopState).toMatchObject({ failure: null, pending: { drive: 0 } });
    } finally {
      await agent.stop();
    }
  });

  it('photos switched off for the account: the next sync uploads no photos, status says why; switched on, they go', async () => {
    const [camera, tablet] = await account('switch@example.org', 'camera', 'tablet');
    if (!camera || !tablet) throw new Error('no devices');
    await camera.sync();
    const off = await tablet.cli(['services', 'disable', 'photos', '--account']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain('photos: off for the account');

    await camera.write('Photos/beach.jpg', randomBytes(2_000));
    await camera.write('Notes/trip.md', 'a note still syncs\n');
    await camera.sync();
    const records = await liveServerRecords(server.url, 'switch@example.org', password);
    expect(records.map((r) => r.zone).sort()).toEqual(['notes']);

    const status = await statusOf(camera);
    expect(status.services.photos).toMatchObject({ enabled: false, offForAccount: true });
    const human = await camera.cli(['status']);
    expect(human.stdout).toMatch(/photos\s+off for the account, on every device \(nimbus services enable photos --account\)/);
    const list = await camera.cli(['services', 'list']);
    expect(list.stdout).toMatch(/photos\s+on\s+cellular on\s+— off for the account/);
    // This device's own switch is untouched: effective = this device's AND the account's.
    const listed = JSON.parse((await camera.cli(['services', 'list', '--json'])).stdout) as { services: { service: string; enabled: boolean; account: { enabled: boolean }; effective: { enabled: boolean } }[] };
    expect(listed.services.find((s) => s.service === 'photos')).toMatchObject({ enabled: true, account: { enabled: false }, effective: { enabled: false } });

    await tablet.cli(['services', 'enable', 'photos', '--account']);
    await camera.sync();
    await tablet.sync();
    expect(await tablet.exists('Photos/beach.jpg')).toBe(true);
    expect((await statusOf(camera)).services.photos.offForAccount).toBeUndefined();
  });

  it("a running agent hears the account's switch at once, obeys it, and reports its status", async () => {
    const [desk, pocket] = await account('agent@example.org', 'desk', 'pocket');
    if (!desk || !pocket) throw new Error('no devices');
    await desk.sync();
    const agent = desk.agent();
    try {
      await agent.waitFor(/Up to date/);
      expect((await pocket.cli(['services', 'disable', 'notes', '--account'])).code).toBe(0);
      await eventually(async () => expect((await statusOf(desk)).services.notes.offForAccount).toBe(true));
      await desk.write('Notes/held.md', 'written while notes are off for the account\n');
      // Another service still runs: the drive file goes up, the note does not.
      await desk.write('Drive/goes.txt', 'drive still runs\n');
      await eventually(async () => {
        const zones = (await liveServerRecords(server.url, 'agent@example.org', password)).map((r) => r.zone);
        expect(zones).toContain('drive');
      });
      expect((await liveServerRecords(server.url, 'agent@example.org', password)).map((r) => r.zone)).not.toContain('notes');

      expect((await pocket.cli(['services', 'enable', 'notes', '--account'])).code).toBe(0);
      await eventually(async () => {
        await pocket.sync();
        expect(await pocket.read('Notes/held.md')).toBe('written while notes are off for the account\n');
      });
      // The agent reported how it is doing: up to date, seen from the other device.
      await eventually(async () => {
        const listing = JSON.parse((await pocket.cli(['account', 'devices', '--json'])).stdout) as DevicesResponse;
        expect(listing.devices.find((d) => d.deviceName === 'desk')?.status).toMatchObject({ state: 'idle', services: { notes: { enabled: true } } });
      });
    } finally {
      await agent.stop();
    }
  });
});
