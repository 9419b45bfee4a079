// The default change notifier: in-process listeners per account (one server process).
import type { AccountEvent, ChangeListener, ChangeNotifier } from './change-notifier.js';

export class MemoryChangeNotifier implements ChangeNotifier {
  readonly #listeners = new Map<string, Set<ChangeListener>>();
  #closed = false;

  publish(accountId: string, event: AccountEvent): void {
    const listeners = this.#listeners.get(accountId);
    if (!listeners) return;
    // A snapshot: listeners usually unsubscribe while being told.
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own: the write that published already committed.
      }
    }
  }

  subscribe(accountId: string, listener: ChangeListener): () => void {
    if (this.#closed) return () => undefined;
    let listeners = this.#listeners.get(accountId);
    if (!listeners) this.#listeners.set(accountId, (listeners = new Set()));
    // Wrapped, so the same function subscribed twice is two subscriptions.
    const entry: ChangeListener = (event) => listener(event);
    listeners.add(entry);
    return () => {
      const current = this.#listeners.get(accountId);
      if (!current?.delete(entry)) return;
      if (current.size === 0) this.#listeners.delete(accountId);
    };
  }

  /** Accounts with at least one listener (tests check that waits clean up after themselves). */
  get listenedAccounts(): number {
    return this.#listeners.size;
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    return Promise.resolve();
  }
}
