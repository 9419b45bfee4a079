import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionFileError, nimbusHome, readSession, removeSession, sessionFilePath, writeSession, type StoredSession } from './session-file.js';

const session: StoredSession = {
  server: 'http://127.0.0.1:7070',
  email: 'a@example.org',
  deviceName: 'laptop',
  tokens: { sessionId: 's', accessToken: 's.a', accessExpiresAt: 1, refreshToken: 's.r', refreshExpiresAt: 2 },
};

describe('session file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-home-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('round-trips with mode 0600 and leaves no temp file', async () => {
    const home = join(dir, 'nested', 'home');
    expect(await readSession(home)).toBeUndefined();
    await writeSession(home, session);
    await writeSession(home, { ...session, deviceName: 'renamed' });
    expect(await readSession(home)).toEqual({ ...session, deviceName: 'renamed' });
    expect((await stat(sessionFilePath(home))).mode & 0o777).toBe(0o600);
    expect(await readdir(home)).toEqual(['session.json']);
    await removeSession(home);
    expect(await readSession(home)).toBeUndefined();
  });

  it('names a damaged file', async () => {
    await writeFile(sessionFilePath(dir), '{"server":');
    await expect(readSession(dir)).rejects.toBeInstanceOf(SessionFileError);
  });

  it('reads NIMBUS_HOME, else ~/.nimbus', () => {
    expect(nimbusHome({ NIMBUS_HOME: '/x/y' })).toBe('/x/y');
    expect(nimbusHome({})).toMatch(/\.nimbus$/);
  });
});
