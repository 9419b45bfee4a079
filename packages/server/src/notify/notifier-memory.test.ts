import { describe, expect, it } from 'vitest';
import type { AccountEvent } from './change-notifier.js';
import { MemoryChangeNotifier } from './notifier-memory.js';

const seqOf = (event: AccountEvent): number | string => (event.kind === 'feed' ? event.seq : event.kind);

describe('MemoryChangeNotifier', () => {
  it("delivers an account's publishes to its listeners only, until they unsubscribe", () => {
    const notifier = new MemoryChangeNotifier();
    const heard: string[] = [];
    const offA = notifier.subscribe('a', (event) => heard.push(`a1:${seqOf(event)}`));
    notifier.subscribe('a', (event) => heard.push(`a2:${seqOf(event)}`));
    notifier.subscribe('b', (event) => heard.push(`b:${seqOf(event)}`));
    notifier.publish('a', { kind: 'feed', seq: 7 });
    offA();
    offA();
    notifier.publish('a', { kind: 'feed', seq: 8 });
    notifier.publish('c', { kind: 'feed', seq: 9 });
    notifier.publish('a', { kind: 'storage' });
    expect(heard).toEqual(['a1:7', 'a2:7', 'a2:8', 'a2:storage']);
  });

  it('a throwing listener neither fails the publisher nor starves the others', () => {
    const notifier = new MemoryChangeNotifier();
    const heard: (number | string)[] = [];
    notifier.subscribe('a', () => {
      throw new Error('bad listener');
    });
    notifier.subscribe('a', (event) => heard.push(seqOf(event)));
    expect(() => notifier.publish('a', { kind: 'feed', seq: 1 })).not.toThrow();
    expect(heard).toEqual([1]);
  });

  it('forgets accounts nobody listens to, and ignores everything after close', async () => {
    const notifier = new MemoryChangeNotifier();
    const off = notifier.subscribe('a', () => undefined);
    expect(notifier.listenedAccounts).toBe(1);
    off();
    expect(notifier.listenedAccounts).toBe(0);
    await notifier.close();
    const heard: (number | string)[] = [];
    notifier.subscribe('a', (event) => heard.push(seqOf(event)));
    notifier.publish('a', { kind: 'feed', seq: 1 });
    expect(heard).toEqual([]);
  });
});
