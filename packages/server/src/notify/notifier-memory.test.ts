import { describe, expect, it } from 'vitest';
import { MemoryChangeNotifier } from './notifier-memory.js';

describe('MemoryChangeNotifier', () => {
  it("delivers an account's publishes to its listeners only, until they unsubscribe", () => {
    const notifier = new MemoryChangeNotifier();
    const heard: string[] = [];
    const offA = notifier.subscribe('a', (seq) => heard.push(`a1:${seq}`));
    notifier.subscribe('a', (seq) => heard.push(`a2:${seq}`));
    notifier.subscribe('b', (seq) => heard.push(`b:${seq}`));
    notifier.publish('a', 7);
    offA();
    offA();
    notifier.publish('a', 8);
    notifier.publish('c', 9);
    expect(heard).toEqual(['a1:7', 'a2:7', 'a2:8']);
  });

  it('a throwing listener neither fails the publisher nor starves the others', () => {
    const notifier = new MemoryChangeNotifier();
    const heard: number[] = [];
    notifier.subscribe('a', () => {
      throw new Error('bad listener');
    });
    notifier.subscribe('a', (seq) => heard.push(seq));
    expect(() => notifier.publish('a', 1)).not.toThrow();
    expect(heard).toEqual([1]);
  });

  it('forgets accounts nobody listens to, and ignores everything after close', async () => {
    const notifier = new MemoryChangeNotifier();
    const off = notifier.subscribe('a', () => undefined);
    expect(notifier.listenedAccounts).toBe(1);
    off();
    expect(notifier.listenedAccounts).toBe(0);
    await notifier.close();
    const heard: number[] = [];
    notifier.subscribe('a', (seq) => heard.push(seq));
    notifier.publish('a', 1);
    expect(heard).toEqual([]);
  });
});
