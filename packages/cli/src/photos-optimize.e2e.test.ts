// Optimize Storage as a user meets it: originals go up in full, the laptop keeps optimized stand-ins (the newest
// originals within its budget), nothing is sent again or lost, originals come back on demand and when it is off.
import { randomBytes } from 'node:crypto';
import { rename, stat, utimes } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAccountStage, type AccountStage } from './testing/account-stage.js';
import type { Device } from './testing/device.js';

/** A camera-sized JPEG of noise (noise does not compress: the original is big, the optimized version much smaller). */
const photo = (): Promise<Buffer> => {
  const [width, height] = [2600, 1800];
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
};

describe('nimbus photos optimize', { timeout: 180_000 }, () => {
  let stage: AccountStage;
  let laptop: Device;
  let phone: Device;
  const originals = new Map<string, string>(); // library path → sha256 of the original

  beforeAll(async () => {
    stage = await openAccountStage('photos', ['laptop', 'phone'], { email: 'photos@example.org', password: 'optimize storage passphrase' });
    [laptop, phone] = stage.devices as [Device, Device];
  });
  afterAll(() => stage.dispose());

  it('keeps the newest originals within the budget and optimized versions of the rest, sending nothing twice', async () => {
    const names = ['Photos/oldest.jpg', 'Photos/older.jpg', 'Photos/newest.jpg'];
    for (const [age, name] of names.entries()) {
      await laptop.write(name, await photo());
      // Ages a person would see: the oldest first.
      const when = new Date(Date.UTC(2026, 0, 1 + age));
      await utimes(laptop.path(name), when, when);
    }
    for (const [path, hash] of await laptop.hashes()) if (path.startsWith('Photos/')) originals.set(path, hash);
    await laptop.sync();
    const newestBytes = (await stat(laptop.path('Photos/newest.jpg'))).size;

    const on = await laptop.cli(['photos', 'optimize', 'on', '--local-budget', String(newestBytes + 1000)]);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/Optimize Storage is on/);
    const here = await laptop.hashes();
    expect(here.get('Photos/newest.jpg')).toBe(originals.get('Photos/newest.jpg'));
    for (const name of ['Photos/oldest.jpg', 'Photos/older.jpg']) {
      expect(here.get(name)).not.toBe(originals.get(name));
      const meta = await sharp(laptop.path(name)).metadata();
      expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(2048);
      expect((await stat(laptop.path(name))).size).toBeLessThan((await stat(laptop.path('Photos/newest.jpg'))).size);
    }
    const status = await laptop.cli(['photos', 'status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ optimize: true, originals: { count: 1 }, optimized: { count: 2 } });

    // A stand-in is not a new picture nor an edit: nothing goes up, even when its time changes.
    const now = new Date();
    await utimes(laptop.path('Photos/older.jpg'), now, now);
    const again = await laptop.sync();
    expect(again.stdout).not.toMatch(/sent/);
    // The server kept every original: the phone gets them byte for byte.
    await phone.sync();
    const onPhone = await phone.hashes();
    for (const [path, hash] of originals) expect(onPhone.get(path)).toBe(hash);
  });

  it('moves and deletes stand-ins like photos, brings originals back on demand, and all of them when turned off', async () => {
    await laptop.cli(['photos', 'optimize', 'on', '--local-budget', '0']);
    await rename(laptop.path('Photos/oldest.jpg'), laptop.path('Photos/oldest moved.jpg'));
    expect((await laptop.sync()).stdout).toMatch(/1 sent/);
    await phone.sync();
    const onPhone = await phone.hashes();
    expect(onPhone.has('Photos/oldest.jpg')).toBe(false);
    expect(onPhone.get('Photos/oldest moved.jpg')).toBe(originals.get('Photos/oldest.jpg'));

    await phone.remove('Photos/older.jpg');
    await phone.sync();
    await laptop.sync();
    expect(await laptop.exists('Photos/older.jpg')).toBe(false);

    const get = await laptop.cli(['photos', 'get', 'oldest moved.jpg']);
    expect(get.code, get.stderr).toBe(0);
    expect((await laptop.hashes()).get('Photos/oldest moved.jpg')).toBe(originals.get('Photos/oldest.jpg'));
    expect((await laptop.hashes()).get('Photos/newest.jpg')).not.toBe(originals.get('Photos/newest.jpg'));

    const off = await laptop.cli(['photos', 'optimize', 'off']);
    expect(off.code, off.stderr).toBe(0);
    const back = await laptop.hashes();
    expect(back.get('Photos/newest.jpg')).toBe(originals.get('Photos/newest.jpg'));
    expect(back.get('Photos/oldest moved.jpg')).toBe(originals.get('Photos/oldest.jpg'));
  });

  it('answers wrong input with one line and exit 2', async () => {
    for (const args of [['photos', 'optimize', 'maybe'], ['photos', 'optimize', 'on', '--local-budget', 'lots'], ['photos', 'get', 'no such photo.jpg'], ['photos', 'get']]) {
      const result = await laptop.cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
