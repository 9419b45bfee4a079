// The dashboard in a real Chromium against a real `nimbus serve`, as a new user would try it: create an account,
// look at each page, edit a note and a contact that a real device then finds in its library, turn on two-factor
// authentication with the QR code's secret and sign in again with a code.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEWPORTS, launchChromium, screenshot } from './testing/browser.js';
import { Device, tinyJpeg } from './testing/device.js';
import { spawnServer, type SpawnedServer } from './testing/spawn-server.js';

const email = 'dash@example.org';
const password = 'dashboard passphrase';
const newPassword = 'a new dashboard passphrase';

describe('the dashboard in Chromium', { timeout: 120_000 }, () => {
  let server: SpawnedServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let root: string;
  let device: Device;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'nimbus-dashboard-'));
    [server, browser] = await Promise.all([spawnServer(['--probe-port', 'off']), launchChromium()]);
    context = await browser.newContext({ viewport: VIEWPORTS.desktop });
    page = await context.newPage();
    device = new Device('laptop', root);
    await device.init();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  const nav = (label: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: label });

  it('creates an account and shows the storage bar', async () => {
    await page.goto(server.url);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in to Nimbus' }).isVisible()).toBe(true);
    await screenshot(page, 'sign-in');
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/storage');
    const meter = page.getByRole('meter', { name: 'Storage used' });
    await meter.waitFor();
    expect(await meter.getAttribute('aria-valuemax')).toBe(String(5e9));
    await expect.poll(() => page.getByText('of 5.0 GB used').isVisible()).toBe(true);
    // The page never holds a token: the session cookie is httpOnly.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name).sort()).toEqual(['nimbus_access', 'nimbus_refresh']);
    for (const c of cookies) expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('edits a note in the page, and the edit reaches a device’s library', async () => {
    await device.login(server.url, email, password);
    await device.write('Notes/Groceries.md', 'milk\n');
    await device.sync();

    await nav('Notes').click();
    await page.getByRole('button', { name: /Groceries/ }).click();
    const text = page.getByLabel('Text of Groceries');
    expect(await text.inputValue()).toBe('milk\n');
    await text.fill('milk\neggs\nbread\n');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. Your devices get it at their next sync.').waitFor();
    await screenshot(page, 'notes');

    await device.sync();
    expect(await device.read('Notes/Groceries.md')).toBe('milk\neggs\nbread\n');

    // A note made in the page appears on the device as a file.
    await page.getByPlaceholder('New note title').fill('Ideas');
    await page.getByRole('button', { name: 'New note' }).click();
    await page.getByLabel('Text of Ideas').fill('a web dashboard\n');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. Your devices get it at their next sync.').waitFor();
    await device.sync();
    expect(await device.read('Notes/Ideas.md')).toBe('a web dashboard\n');

    // A note deleted in the page (after a question) leaves the device too.
    await page.getByPlaceholder('New note title').fill('Scratch');
    await page.getByRole('button', { name: 'New note' }).click();
    await page.getByLabel('Text of Scratch').waitFor();
    await device.sync();
    expect(await device.exists('Notes/Scratch.md')).toBe(true);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete note' }).click();
    await page.getByText('Deleted “Scratch”.').waitFor();
    await device.sync();
    expect(await device.exists('Notes/Scratch.md')).toBe(false);
  });

  it('adds a contact that reaches the device as a vCard', async () => {
    await nav('Contacts').click();
    await page.getByRole('button', { name: 'New contact' }).click();
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill('ada@example.org');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. Your devices get it at their next sync.').waitFor();
    await screenshot(page, 'contacts');
    await device.sync();
    const card = await device.read('Contacts/Ada Lovelace.vcf');
    expect(card).toContain('FN:Ada Lovelace');
    expect(card).toContain('EMAIL:ada@example.org');
  });

  it('shows the device’s photos as a grid and opens the original', async () => {
    await device.write('Photos/beach.jpg', tinyJpeg('beach'));
    await device.sync();
    await nav('Photos').click();
    const tile = page.getByRole('button', { name: 'Open beach.jpg' });
    await tile.waitFor();
    // The thumbnail's bytes came through the cookie session and decoded as an image.
    await expect.poll(() => tile.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await screenshot(page, 'photos');
    await tile.click();
    await page.getByRole('region', { name: 'beach.jpg' }).locator('img').waitFor();
    await page.getByRole('button', { name: 'Back to all photos' }).click();
  });

  it('uploads to Drive with progress, makes a folder, downloads and deletes — and the device follows', async () => {
    await device.write('Drive/report.txt', 'quarterly numbers\n');
    await device.sync();
    await nav('Drive').click();
    await page.getByText('report.txt').waitFor();

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download report.txt' }).click();
    const saved = await (await download).path();
    expect(await readFile(saved, 'utf8')).toBe('quarterly numbers\n');

    await page.getByPlaceholder('New folder name').fill('Trips');
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.getByRole('button', { name: 'Trips', exact: true }).click();
    await page.getByLabel('Upload files').setInputFiles({ name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('day 1: museum\n') });
    await page.getByText('Uploaded plan.txt.').waitFor();
    await screenshot(page, 'drive');
    await device.sync();
    expect(await device.read('Drive/Trips/plan.txt')).toBe('day 1: museum\n');

    await page.getByRole('button', { name: 'Drive', exact: true }).click();
    await page.getByRole('button', { name: 'Delete report.txt' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted report.txt.').waitFor();
    await device.sync();
    expect(await device.exists('Drive/report.txt')).toBe(false);
  });

  it('lists the devices, the services and the storage used', async () => {
    await nav('Devices').click();
    await page.getByRole('heading', { name: 'laptop' }).waitFor();
    await expect.poll(() => page.getByText('(this browser)').isVisible()).toBe(true);
    await screenshot(page, 'devices');
    await nav('Apps using Nimbus').click();
    await page.getByRole('heading', { name: 'Apps using Nimbus' }).waitFor();
    await screenshot(page, 'apps');
    await nav('Storage').click();
    const largest = page.getByRole('region', { name: 'Largest items' });
    await largest.getByText('Groceries.md').waitFor();
    await largest.getByText('Trips/plan.txt').waitFor();
    await largest.getByText('Ada Lovelace').waitFor();
    // The bar has a segment per service in use, as wide as its share.
    expect(await page.locator('.bar .seg-notes').count()).toBe(1);
    expect(await page.locator('.bar .seg-contacts').count()).toBe(1);
    expect(await page.locator('.bar .seg-photos').count()).toBe(1);
    expect(await page.locator('.bar .seg-keychain').count()).toBe(0);
    await screenshot(page, 'storage');
    await page.setViewportSize(VIEWPORTS.phone);
    await screenshot(page, 'storage-phone');
    await nav('Notes').click();
    await screenshot(page, 'notes-phone');
    await page.setViewportSize(VIEWPORTS.desktop);
  });

  it('changes the password: the page says other devices must sign in again, and the device must', async () => {
    await nav('Security').click();
    const form = page.getByRole('form', { name: 'Change password' });
    expect(await form.innerText()).toContain('Your other devices will have to sign in again');
    await form.getByLabel('Current password').fill(password);
    await form.getByLabel('New password').fill(newPassword);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('Password changed. 1 other device must sign in again.').waitFor();
    const revoked = await device.cli(['sync']);
    expect(revoked.code).toBe(3);
    expect(revoked.stdout + revoked.stderr).toMatch(/password was changed/i);
    await device.login(server.url, email, newPassword);
    await device.sync();
  });

  it('turns on two-factor authentication with the QR code’s secret, then signs in with a code', async () => {
    await nav('Security').click();
    await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const secret = await page.getByTestId('totp-secret').innerText();
    await screenshot(page, 'security-2fa');
    const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
    await page.getByLabel('Code from the app').fill(totp.generate());
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await page.getByTestId('tfa-on').waitFor();
    await screenshot(page, 'security');
    await page.setViewportSize(VIEWPORTS.phone);
    await screenshot(page, 'security-phone');
    await nav('Drive').click();
    await page.getByRole('button', { name: 'Trips', exact: true }).waitFor();
    await screenshot(page, 'drive-phone');
    await page.setViewportSize(VIEWPORTS.desktop);

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'Sign in to Nimbus' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    await screenshot(page, 'sign-in-code');
    // Each code is good once: enrolment used this period's, so sign in with the next period's (the server accepts
    // one period either side for phones whose clocks drift).
    await page.getByLabel('Code').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
    // By keyboard, as many people do: Enter submits the code.
    await page.getByLabel('Code').press('Enter');
    await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor();

    // The recent sign-ins list this browser's sign-ins; the device was signed out when 2FA went on.
    await nav('Security').click();
    await expect.poll(() => page.getByRole('region', { name: 'Recent sign-ins' }).getByText('Web browser').count()).toBe(2);
    const sync = await device.cli(['sync']);
    expect(sync.code).toBe(3);
    expect(sync.stdout + sync.stderr).toMatch(/two-factor/i);
  });
});
