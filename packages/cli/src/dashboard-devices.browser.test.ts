// The dashboard and the account's devices, in Chromium against a real server and device: a device paused by a full
// account shows as a banner on every page and as its cause and fix on Devices; deleting a backup in Manage Storage
// frees the space, the device's agent resumes by itself, and the banner goes away without a reload. Then a service
// switched off in Apps using Nimbus reaches the device, and a device signed out from the page is signed out.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEWPORTS, launchChromium, screenshot } from './testing/browser.js';
import { Device, type AgentProcess } from './testing/device.js';
import { runCli, spawnServer, type SpawnedServer } from './testing/spawn-server.js';

const email = 'full@example.org';
const password = 'full storage passphrase';

describe('the dashboard and the account’s devices', { timeout: 180_000 }, () => {
  let server: SpawnedServer;
  let browser: Browser;
  let page: Page;
  let root: string;
  let device: Device;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-dashboard-full-'));
    [server, browser] = await Promise.all([spawnServer(['--probe-port', 'off', '--default-quota', '2MB']), launchChromium()]);
    page = await (await browser.newContext({ viewport: VIEWPORTS.desktop })).newPage();
    const created = await runCli(['account', 'create', '--server', server.url, '--email', email], { NIMBUS_HOME: join(root, 'admin'), NIMBUS_PASSWORD: password });
    expect(created.code, created.stderr).toBe(0);
    device = new Device('laptop', root);
    await device.init();
    await device.login(server.url, email, password);
  });

  afterAll(async () => {
    await agent?.stop();
    await browser?.close();
    await server?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('shows the paused device in a banner on every page, with the cause and the fix on Devices', async () => {
    // A backup takes most of the 2 MB; then a Drive file does not fit.
    const documents = join(root, 'documents');
    await mkdir(documents);
    await writeFile(join(documents, 'archive.bin'), randomBytes(1_500_000));
    const backup = await device.cli(['backup', 'create', documents]);
    expect(backup.code, backup.stderr).toBe(0);
    await device.write('Drive/video.bin', randomBytes(800_000));
    const sync = await device.cli(['sync']);
    expect(sync.code, sync.stdout).toBe(3);
    agent = device.agent();

    await page.goto(server.url);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const banner = page.getByTestId('paused-banner');
    await banner.waitFor();
    expect(await banner.innerText()).toMatch(/Sync is paused on laptop/);
    await screenshot(page, 'banner-storage');

    await banner.getByRole('link', { name: 'How to fix it' }).click();
    expect(new URL(page.url()).pathname).toBe('/devices');
    const failure = page.getByTestId('device-failure');
    await failure.waitFor();
    expect(await failure.innerText()).toContain('QUOTA_EXCEEDED');
    expect(await failure.getByRole('listitem').count()).toBeGreaterThan(0);
    await screenshot(page, 'devices-paused');
    await page.setViewportSize(VIEWPORTS.phone);
    await screenshot(page, 'devices-paused-phone');
    await page.setViewportSize(VIEWPORTS.desktop);
  });

  it('deletes the backup in Manage Storage; the device resumes and the banner clears by itself', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Storage' }).click();
    const backups = page.getByRole('region', { name: 'Manage Storage: backups' });
    const remove = backups.getByRole('button', { name: new RegExp(`Delete the backup of ${hostname()}`) });
    await remove.waitFor();
    expect(await backups.innerText()).toMatch(/frees 1\.5 MB/);
    await screenshot(page, 'storage-full');
    await remove.click();
    const dialog = page.getByRole('dialog', { name: 'Delete this backup?' });
    await dialog.getByRole('button', { name: 'Delete backup' }).click();
    await backups.getByText(/freed\./).waitFor();
    await backups.getByText('No device backups.').waitFor();

    // No reload: the page hears the device's new status.
    await page.getByTestId('paused-banner').waitFor({ state: 'detached', timeout: 60_000 });
    // The waiting Drive file went up once space was free, and the storage bar shows it, again with no reload.
    await page.getByRole('meter', { name: 'Storage used' }).locator('.seg-drive').waitFor();
    await screenshot(page, 'storage-freed');
    expect((await device.cli(['status', '--json'])).stdout).toMatch(/"state":\s*"idle"/);
  });

  it('switches a service off for the account in Apps using Nimbus; the device sees it', async () => {
    const nav = page.getByRole('navigation', { name: 'Sections' });
    await nav.getByRole('link', { name: 'Apps using Nimbus' }).click();
    const photos = page.getByRole('switch', { name: 'Photos', exact: true });
    await expect.poll(() => photos.getAttribute('aria-checked')).toBe('true');
    await photos.focus();
    await page.keyboard.press('Space');
    await expect.poll(() => photos.getAttribute('aria-checked')).toBe('false');
    await page.getByRole('switch', { name: 'Use cellular data for Drive' }).click();
    await screenshot(page, 'apps');
    const listed = JSON.parse((await device.cli(['services', 'list', '--json'])).stdout) as {
      services: { service: string; account: { enabled: boolean; cellular: boolean } }[];
    };
    expect(listed.services.find((s) => s.service === 'photos')?.account.enabled).toBe(false);
    expect(listed.services.find((s) => s.service === 'drive')?.account).toEqual({ enabled: true, cellular: false });
    // A reload shows what the server keeps.
    await page.reload();
    await expect.poll(() => page.getByRole('switch', { name: 'Photos', exact: true }).getAttribute('aria-checked')).toBe('false');
  });

  it('signs the device out from the Devices page', async () => {
    await agent?.stop();
    agent = undefined;
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('button', { name: 'Sign out laptop' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Sign out device' }).click();
    await page.getByRole('heading', { name: 'laptop' }).waitFor({ state: 'detached' });
    const sync = await device.cli(['sync']);
    expect(sync.code).toBe(3);
    expect(sync.stdout + sync.stderr).toMatch(/signed out/i);
  });
});
