import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMetadataStore, type MetadataStore } from './metadata-store.js';

const account = (id: string) => ({
  id,
  email: `${id}@example.org`,
  password_hash: 'x',
  quota_bytes: 100,
  created_at: 0,
  password_changed_at: 0,
});

describe('group commit on SQLite', () => {
  let dir: string;
  let store: MetadataStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nimbus-gc-'));
    store = await openMetadataStore({ location: join(dir, 'db.sqlite') });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('commits concurrent jobs together and rolls back only the one that throws', async () => {
    const jobs = Array.from({ length: 50 }, (_, i) =>
      store.write(async (trx) => {
        await trx.insertInto('accounts').values(account(`a${i}`)).execute();
        if (i === 17) throw new Error('job 17 fails after its insert');
        return i;
      }),
    );
    const results = await Promise.allSettled(jobs);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(49);
    expect(results[17]).toMatchObject({ status: 'rejected', reason: { message: 'job 17 fails after its insert' } });
    const ids = (await store.db.selectFrom('accounts').select('id').execute()).map((r) => r.id);
    expect(ids).toHaveLength(49);
    expect(ids).not.toContain('a17');
  });

  it('sees earlier jobs of the same group, like serial transactions', async () => {
    await store.db.insertInto('accounts').values(account('shared')).execute();
    const bump = () =>
      store.write(async (trx) => {
        const row = await trx.selectFrom('accounts').select('used_bytes').where('id', '=', 'shared').executeTakeFirstOrThrow();
        await trx.updateTable('accounts').set({ used_bytes: row.used_bytes + 1 }).where('id', '=', 'shared').execute();
      });
    await Promise.all(Array.from({ length: 40 }, bump));
    const row = await store.db.selectFrom('accounts').select('used_bytes').where('id', '=', 'shared').executeTakeFirstOrThrow();
    expect(row.used_bytes).toBe(40);
  });

  it('keeps committed jobs across a reopen', async () => {
    await Promise.all([store.write((trx) => trx.insertInto('accounts').values(account('x')).execute()), store.write((trx) => trx.insertInto('accounts').values(account('y')).execute())]);
    await store.close();
    store = await openMetadataStore({ location: join(dir, 'db.sqlite') });
    expect(await store.db.selectFrom('accounts').select('id').orderBy('id').execute()).toEqual([{ id: 'x' }, { id: 'y' }]);
  });
});
