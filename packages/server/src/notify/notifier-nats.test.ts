// Two NATS notifiers on one real NATS, as two server processes would be.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { natsAvailable, TEST_NATS_URL } from '../testing/nats.js';
import type { AccountEvent, ChangeNotifier } from './change-notifier.js';
import { NatsChangeNotifier, NatsUnreachableError, subjectToken, type NotifierLog } from './notifier-nats.js';

const natsUp = await natsAvailable();

const warnings: string[] = [];
const log: NotifierLog = { warn: (_details, message) => warnings.push(message), info: () => undefined };
const label = (event: AccountEvent): string => (event.kind === 'feed' ? `feed:${event.seq}` : event.kind);
const account = (): string => randomBytes(16).toString('base64url');

/** Everything an account's listener hears, and a promise of the next thing. */
function listen(notifier: ChangeNotifier, accountId: string) {
  const heard: string[] = [];
  let next: ((event: string) => void) | undefined;
  const off = notifier.subscribe(accountId, (event) => {
    heard.push(label(event));
    next?.(label(event));
  });
  return { heard, off, next: () => new Promise<string>((resolve) => (next = resolve)) };
}

describe.skipIf(!natsUp)('NatsChangeNotifier', () => {
  // One prefix per run, so parallel runs on the same NATS stay apart.
  const subjectPrefix = `nimbus-test-${randomBytes(4).toString('hex')}`;
  let a: NatsChangeNotifier;
  let b: NatsChangeNotifier;
  beforeEach(async () => {
    warnings.length = 0;
    [a, b] = await Promise.all([0, 1].map(() => NatsChangeNotifier.connect({ url: TEST_NATS_URL, log, subjectPrefix })));
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it("wakes the other process's listeners of the same account only, and the publisher's own once", async () => {
    const [x, y] = [account(), account()];
    const onB = listen(b, x);
    const otherOnB = listen(b, y);
    const onA = listen(a, x);
    const arrived = onB.next();
    a.publish(y, { kind: 'storage' });
    a.publish(x, { kind: 'feed', seq: 7 });
    expect(onA.heard).toEqual(['feed:7']);
    expect(await arrived).toBe('feed:7');
    // NATS keeps one publisher's order: y's message came first, to a listener of y on b.
    expect(otherOnB.heard).toEqual(['storage']);
    // A round trip b → a after b heard x: an echo of a's publish would have reached a before it.
    const reply = listen(a, y).next();
    b.publish(y, { kind: 'feed', seq: 1 });
    await reply;
    expect(onA.heard).toEqual(['feed:7']);
    expect(warnings).toEqual([]);
  });

  it('stops delivering once the listener unsubscribes (twice is harmless)', async () => {
    const [x, y] = [account(), account()];
    const gone = listen(b, x);
    const still = listen(b, y);
    gone.off();
    gone.off();
    const arrived = still.next();
    a.publish(x, { kind: 'feed', seq: 1 });
    a.publish(y, { kind: 'feed', seq: 2 });
    expect(await arrived).toBe('feed:2');
    expect(gone.heard).toEqual([]);
  });

  it('carries every kind of account event: feed, storage, services, devices', async () => {
    const x = account();
    const onB = listen(b, x);
    const last = new Promise<void>((resolve) => {
      const off = b.subscribe(x, (event) => {
        if (event.kind === 'devices') {
          off();
          resolve();
        }
      });
    });
    a.publish(x, { kind: 'feed', seq: 4 });
    a.publish(x, { kind: 'storage' });
    a.publish(x, { kind: 'services' });
    a.publish(x, { kind: 'devices' });
    await last;
    expect(onB.heard).toEqual(['feed:4', 'storage', 'services', 'devices']);
  });

  it('carries account ids that are not subject-safe', async () => {
    const odd = `a.b*c > ${account()}`;
    expect(subjectToken(odd)).toMatch(/^~[0-9a-f]+$/);
    const onB = listen(b, odd);
    const arrived = onB.next();
    a.publish(odd, { kind: 'feed', seq: 3 });
    expect(await arrived).toBe('feed:3');
  });

  it('closes cleanly: later publishes and subscribes are ignored, never thrown', async () => {
    const x = account();
    const onB = listen(b, x);
    await a.close();
    await a.close();
    expect(() => a.publish(x, { kind: 'feed', seq: 1 })).not.toThrow();
    const late = listen(a, x);
    a.publish(x, { kind: 'feed', seq: 2 });
    expect(late.heard).toEqual([]);
    // b still works, and heard nothing from the closed a.
    const arrived = onB.next();
    b.publish(x, { kind: 'feed', seq: 3 });
    expect(await arrived).toBe('feed:3');
    expect(onB.heard).toEqual(['feed:3']);
    expect(warnings).toEqual([]);
  });
});

// A private nats-server, so stopping it disturbs nobody else's tests.
const natsServerBinary = spawnSync('nats-server', ['--version']).status === 0;
if (!natsServerBinary) console.warn('nats-server is not on PATH: the NATS reconnect test is skipped');

describe.skipIf(!natsServerBinary)('NatsChangeNotifier while NATS restarts', () => {
  it('keeps serving local listeners, warns, and crosses processes again once NATS is back', { timeout: 30_000 }, async () => {
    const port = await unusedPort();
    const url = `nats://127.0.0.1:${port}`;
    let server = await startNatsServer(port);
    const [a, b] = await Promise.all([0, 1].map(() => NatsChangeNotifier.connect({ url, log, subjectPrefix: 'restart' })));
    try {
      warnings.length = 0;
      const x = account();
      const onA = listen(a, x);
      const onB = listen(b, x);
      server.kill('SIGKILL');
      await until(() => warnings.some((w) => w.startsWith('NATS disconnected')));
      expect(() => a.publish(x, { kind: 'feed', seq: 1 })).not.toThrow();
      expect(onA.heard).toEqual(['feed:1']);
      server = await startNatsServer(port);
      // Best effort: the publish made during the outage may or may not arrive; later ones do once both have
      // reconnected (the test's timeout is the limit).
      const afterOutage = () => onB.heard.filter((h) => h !== 'feed:1');
      for (let seq = 2; afterOutage().length === 0; seq++) {
        a.publish(x, { kind: 'feed', seq });
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(afterOutage()[0]).toMatch(/^feed:\d+$/);
    } finally {
      await Promise.all([a.close(), b.close()]);
      server.kill('SIGKILL');
    }
  });
});

describe('NatsChangeNotifier.connect', () => {
  it('rejects with the URL when NATS does not answer', async () => {
    const url = `nats://127.0.0.1:${await unusedPort()}`;
    const attempt = NatsChangeNotifier.connect({ url, log });
    await expect(attempt).rejects.toBeInstanceOf(NatsUnreachableError);
    await expect(attempt).rejects.toThrow(url);
  });
});

/** A loopback port nobody listens on (bound, then released). */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}

/** A nats-server on the port (no JetStream, nothing on disk), once it accepts connections. */
async function startNatsServer(port: number): Promise<ChildProcess> {
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (;;) {
    try {
      const probe = await NatsChangeNotifier.connect({ url: `nats://127.0.0.1:${port}`, log: { warn: () => undefined, info: () => undefined } });
      await probe.close();
      return child;
    } catch {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
