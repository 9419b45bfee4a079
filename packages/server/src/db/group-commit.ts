// Group commit for SQLite: concurrent write transactions share one COMMIT, each in its own savepoint.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export type WriteJob<T> = (trx: Transaction<Database>) => Promise<T>;

interface Queued {
  job: WriteJob<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Jobs in one shared transaction at most: bounds the latency a job can add to the others. */
const MAX_GROUP = 128;

/**
 * SQLite runs one writer at a time and pays for every COMMIT (the WAL write, and its fsync
 * under synchronous=FULL); under load most of a small write's cost is that commit. Jobs that
 * arrive while a group runs wait and go in the next group: each runs in a SAVEPOINT, so a job
 * that throws is rolled back alone and gets its own error, and every job of a group resolves
 * only after the group's COMMIT — durable exactly as if it had committed alone. With no
 * contention a group is a single job, so nothing waits for company.
 */
export class GroupCommitter {
  private readonly queue: Queued[] = [];
  private draining = false;

  constructor(private readonly db: Kysely<Database>) {}

  run<T>(job: WriteJob<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ job, resolve: resolve as (value: unknown) => void, reject });
      if (this.draining) return;
      this.draining = true;
      // better-sqlite3 is synchronous, so a whole group runs within one turn of the event loop and
      // no request could join it. Starting on the next turn lets every request that arrived in this
      // I/O phase enqueue its job first.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.runGroup(this.queue.splice(0, MAX_GROUP));
    } finally {
      this.draining = false;
    }
  }

  private async runGroup(group: Queued[]): Promise<void> {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    let trx;
    try {
      trx = await this.db.startTransaction().execute();
    } catch (error) {
      for (const queued of group) queued.reject(error);
      return;
    }
    try {
      for (const queued of group) {
        const inner = await trx.savepoint('job').execute();
        try {
          const value = await queued.job(inner);
          await inner.releaseSavepoint('job').execute();
          outcomes.push({ ok: true, value });
        } catch (error) {
          await inner.rollbackToSavepoint('job').execute();
          await inner.releaseSavepoint('job').execute();
          outcomes.push({ ok: false, error });
        }
      }
      await trx.commit().execute();
    } catch (error) {
      // The group could not commit (disk full, I/O error): nothing of it is durable.
      await trx.rollback().execute().catch(() => undefined);
      for (const queued of group) queued.reject(error);
      return;
    }
    group.forEach((queued, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) queued.resolve(outcome.value);
      else queued.reject(outcome?.error);
    });
  }
}
