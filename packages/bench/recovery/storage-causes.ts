// Storage causes: the account's quota full (freed by a deletion on another device, or raised by the admin), and the
// device's own disk full under the library (a small tmpfs; freed by deleting the file that filled it).
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fillDisk, mountTmpfs, unmount } from '../../cli/src/testing/faults/device-conditions.js';
import { ADMIN, pair, type RecoveryCause, type Stages } from './stages.js';

const FILE_BYTES = 40_000;

/** Storage full (64 KB quota): another device deletes the file that holds the space. */
const freedByDelete = (stages: Stages): RecoveryCause => ({
  label: 'storage full → file deleted elsewhere',
  cause: 'QUOTA_EXCEEDED',
  kind: 'storage',
  async prepare() {
    const { device, other } = await pair(stages, stages.tinyQuota.url, 'freed', 'freed passphrase');
    await other.write('Drive/hold-0.bin', randomBytes(FILE_BYTES));
    await other.sync();
    return {
      device,
      // The space is held by one file; a second does not fit.
      fault: (round) => device.write(`Drive/hold-${round}.bin`, randomBytes(FILE_BYTES)),
      async heal(round, mark) {
        await other.sync();
        await other.remove(`Drive/hold-${round - 1}.bin`);
        mark();
        await other.sync();
      },
      close: async () => undefined,
    };
  },
});

/** Storage full (64 KB quota): the admin raises the account's quota. */
const raisedByAdmin = (stages: Stages): RecoveryCause => ({
  label: 'storage full → admin raises quota',
  cause: 'QUOTA_EXCEEDED',
  kind: 'storage',
  async prepare() {
    const password = 'raised passphrase';
    const { device, email } = await pair(stages, stages.tinyQuota.url, 'raised', password);
    await device.write('Drive/base.bin', randomBytes(FILE_BYTES));
    await device.sync();
    const quotas = { 1: 128_000, 2: 256_000 } as const;
    return {
      device,
      // 40 + 40 KB > 64 KB; then 80 + 60 KB > 128 KB.
      fault: (round) => device.write(`Drive/more-${round}.bin`, randomBytes(round === 1 ? FILE_BYTES : 60_000)),
      heal: (round, mark) => setQuota(stages.tinyQuota.url, email, password, quotas[round], mark),
      close: async () => undefined,
    };
  },
});

/** The admin sets `email`'s quota over the API (the account's id from its own sign-in). */
async function setQuota(server: string, email: string, password: string, quotaBytes: number, mark: () => void): Promise<void> {
  const signIn = async (who: string, secret: string) => {
    const answer = await fetch(`${server}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: who, password: secret }) });
    if (answer.status !== 200) throw new Error(`sign-in ${who}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as { accessToken: string; account: { id: string } };
  };
  const [target, admin] = await Promise.all([signIn(email, password), signIn(ADMIN.email, ADMIN.password)]);
  mark();
  const set = await fetch(`${server}/v1/admin/accounts/${target.account.id}/quota`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.accessToken}` },
    body: JSON.stringify({ quotaBytes }),
  });
  if (set.status !== 200) throw new Error(`quota: ${set.status} ${await set.text()}`);
}

/**
 * The library on a small disk of its own (a 2 MB tmpfs, as a memory card) filled to the last byte, while another
 * device sends a file: downloads wait (LOCAL_STORAGE_FULL). Deleting the file that filled it is the fix.
 */
const diskFull = (stages: Stages): RecoveryCause => ({
  label: 'device disk full (tmpfs) → space freed',
  cause: 'LOCAL_STORAGE_FULL',
  kind: 'device',
  async prepare() {
    let library: string | undefined;
    const { device, other } = await pair(stages, stages.plain.url, 'disk', 'disk passphrase', {
      async beforeLogin(small) {
        if (!mountTmpfs(small.library, '2m')) throw new Error('mounting a tmpfs needs root');
        library = small.library;
      },
    });
    const filler = join(device.library, '.filler');
    return {
      device,
      async fault(round, mark) {
        await fillDisk(filler);
        await other.write(`Drive/big-${round}.bin`, randomBytes(300_000));
        await other.sync();
        mark();
      },
      heal: () => rm(filler),
      close: async () => {
        if (library !== undefined) unmount(library);
      },
    };
  },
});

export function storageCauses(stages: Stages): RecoveryCause[] {
  return [freedByDelete, raisedByAdmin, diskFull].map((make) => make(stages));
}
