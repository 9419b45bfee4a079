import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOnPath, parseNmcliMetered } from './system-metered.js';

const device = (name: string, type: string, state: string, metered: string): string =>
  [`GENERAL.DEVICE:${name}`, `GENERAL.TYPE:${type}`, `GENERAL.STATE:${state}`, `GENERAL.METERED:${metered}`, ''].join('\n');

describe('parseNmcliMetered', () => {
  it('reads the first connected device, loopback aside: "yes" and "yes (guessed)" are metered, the rest not', () => {
    const lo = device('lo', 'loopback', '100 (connected (externally))', 'no');
    for (const [says, metered] of [['yes', true], ['yes (guessed)', true], ['no', false], ['no (guessed)', false], ['unknown', false]] as const) {
      expect(parseNmcliMetered(lo + device('wwan0', 'gsm', '100 (connected)', says))).toEqual({ by: 'NetworkManager', says, metered });
    }
  });

  it('skips devices that are not connected; no connected device, or garbage, gives no hint', () => {
    const text = device('eth0', 'ethernet', '20 (unavailable)', 'yes') + device('wlan0', 'wifi', '100 (connected)', 'no');
    expect(parseNmcliMetered(text)).toMatchObject({ says: 'no', metered: false });
    expect(parseNmcliMetered(device('eth0', 'ethernet', '30 (disconnected)', 'yes'))).toBeUndefined();
    expect(parseNmcliMetered('')).toBeUndefined();
    expect(parseNmcliMetered('Error: NetworkManager is not running.\n')).toBeUndefined();
  });
});

describe('findOnPath', () => {
  it('finds an executable on PATH, and looks each PATH up once: a later nmcli in the same PATH is not seen', async () => {
    const [empty, full] = await Promise.all([mkdtemp(join(tmpdir(), 'nimbus-path-')), mkdtemp(join(tmpdir(), 'nimbus-path-'))]);
    try {
      await writeFile(join(full, 'nmcli'), '#!/bin/sh\n');
      await chmod(join(full, 'nmcli'), 0o755);
      await writeFile(join(full, 'not-executable'), '');
      expect(findOnPath('nmcli', `${empty}${delimiter}${full}`)).toBe(join(full, 'nmcli'));
      expect(findOnPath('not-executable', full)).toBeUndefined();
      expect(findOnPath('nmcli', empty)).toBeUndefined();
      await writeFile(join(empty, 'nmcli'), '#!/bin/sh\n');
      await chmod(join(empty, 'nmcli'), 0o755);
      expect(findOnPath('nmcli', empty)).toBeUndefined(); // the answer of the first look stands
    } finally {
      await Promise.all([rm(empty, { recursive: true, force: true }), rm(full, { recursive: true, force: true })]);
    }
  });
});
