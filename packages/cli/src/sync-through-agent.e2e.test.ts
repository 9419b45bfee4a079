// `nimbus sync` beside a running agent: the agent makes the pass and `nimbus sync` prints its outcome (exit 0 / 3)
// instead of refusing; an agent killed with -9 leaves a socket behind that must not get in the way.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlSocketPath } from './agent-control/control-socket.js';
import { openAccountStage, type AccountStage } from './testing/account-stage.js';
import type { Device } from './testing/device.js';
import { liveServerRecords } from './testing/server-records.js';

describe('nimbus sync through a running agent', { timeout: 120_000 }, () => {
  let stage: AccountStage;
  let laptop: Device;
  let phone: Device;
  const email = 'through-agent@example.org';
  const password = 'through agent passphrase';
  const newPassword = 'a second passphrase, changed on the phone';
  const notesOnServer = async (pass: string): Promise<string[]> =>
    (await liveServerRecords(stage.server.url, email, pass)).filter((r) => r.zone === 'notes').map((r) => String(r.data?.['path']));

  beforeAll(async () => {
    stage = await openAccountStage('through-agent', ['laptop', 'phone'], { email, password });
    [laptop, phone] = stage.devices as [Device, Device];
  });
  afterAll(() => stage.dispose());

  it('exits 0 once what was in the library when it was called is on the server, and 3 with the cause while the agent is paused', async () => {
    const agent = laptop.agent();
    try {
      await agent.waitFor(/up to date/i);
      expect(existsSync(controlSocketPath(laptop.home))).toBe(true);

      await laptop.write('Notes/written-just-before.md', 'must be on the server when nimbus sync returns\n');
      const synced = await laptop.sync(0);
      expect(synced.stdout).toMatch(/up to date/i);
      expect(await notesOnServer(password)).toContain('written-just-before.md');

      // The phone changes the password: the laptop's session is revoked; its agent pauses and says so.
      const changed = await phone.cli(['account', 'password'], { NIMBUS_PASSWORD: password, NIMBUS_NEW_PASSWORD: newPassword });
      expect(changed.code, changed.stderr).toBe(0);
      await laptop.write('Notes/while-revoked.md', 'kept until the laptop signs in again\n');
      const paused = await laptop.sync(3);
      expect(paused.stdout).toMatch(/paused/i);
      expect(paused.stdout).toMatch(/nimbus login/);
      const status = JSON.parse((await laptop.cli(['status', '--json'])).stdout) as { failure: { cause: string } | null };
      expect(status.failure?.cause).toBe('AUTH_REVOKED');
    } finally {
      // kill -9: the socket file stays behind, as after a crash.
      expect(await agent.stop('SIGKILL')).toBeNull();
    }
    expect(existsSync(controlSocketPath(laptop.home))).toBe(true);

    await laptop.login(stage.server.url, email, newPassword);
    const alone = await laptop.sync(0);
    expect(alone.stdout).toMatch(/up to date/i);
    expect(await notesOnServer(newPassword)).toContain('while-revoked.md');
  });
});
