// The change notifier for several server processes on one database: local listeners are told at once, and every
// publish also crosses NATS (core pub/sub) to the other processes.
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { AccountEvent, ChangeListener, ChangeNotifier } from './change-notifier.js';
import { MemoryChangeNotifier } from './notifier-memory.js';

/** Where the notifier reports the bus's trouble (a pino Logger fits). */
export interface NotifierLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface NatsNotifierOptions {
  /** `nats://host:port` (several separated by commas). */
  url: string;
  log: NotifierLog;
  /** First subject tokens; processes that should wake each other use the same one. Default `nimbus`. */
  subjectPrefix?: string;
}

/** What crosses the bus: the account and its event (the publisher's own copy never comes back: `noEcho`). */
interface Wire {
  account: string;
  event: AccountEvent;
}

/** The connection to NATS could not be made at start: the message names the URL. */
export class NatsUnreachableError extends Error {
  override name = 'NatsUnreachableError';
}

/**
 * A {@link ChangeNotifier} over NATS. Connects with `noEcho`, so a process never hears its own publishes
 * twice (its local listeners were told in-process already).
 *
 * One wildcard subscription (`<prefix>.account.*`) is made at start and kept, rather than one per listened
 * account: it is registered on the server before the notifier is handed out, so a listener that subscribes
 * and then reads the feed can never miss a commit made elsewhere while its own per-account SUB was still in
 * flight; and long-polls come and go by the thousand without SUB/UNSUB traffic. The cost is that every
 * process receives every account's (small) publishes and drops those nobody here listens to.
 */
export class NatsChangeNotifier implements ChangeNotifier {
  readonly #local = new MemoryChangeNotifier();
  readonly #nc: NatsConnection;
  readonly #log: NotifierLog;
  readonly #prefix: string;
  readonly #subscription: Subscription;
  #closing: Promise<void> | undefined;

  private constructor(nc: NatsConnection, options: NatsNotifierOptions) {
    this.#nc = nc;
    this.#log = options.log;
    this.#prefix = options.subjectPrefix ?? 'nimbus';
    this.#subscription = nc.subscribe(`${this.#prefix}.account.*`, {
      callback: (error, message) => {
        if (error) return this.#log.warn({ err: error }, 'NATS change subscription failed');
        const wire = parseWire(message.data);
        if (wire) this.#local.publish(wire.account, wire.event);
      },
    });
    void this.#watchStatus();
  }

  /** Connects and subscribes; rejects with {@link NatsUnreachableError} when NATS does not answer. */
  static async connect(options: NatsNotifierOptions): Promise<NatsChangeNotifier> {
    let nc: NatsConnection;
    try {
      // Keeps reconnecting for as long as the server runs: the long-poll timeout covers the gap.
      nc = await connect({ servers: options.url.split(','), noEcho: true, maxReconnectAttempts: -1, timeout: 5000, name: 'nimbus-server' });
    } catch (error) {
      throw unreachable(options.url, error);
    }
    const notifier = new NatsChangeNotifier(nc, options);
    try {
      // The subscription is on the server before anyone listens (see the class comment).
      await nc.flush();
    } catch (error) {
      await nc.close();
      throw unreachable(options.url, error);
    }
    return notifier;
  }

  publish(accountId: string, event: AccountEvent): void {
    this.#local.publish(accountId, event);
    if (this.#closing) return;
    const wire: Wire = { account: accountId, event };
    try {
      // Buffered by the client while it reconnects; never waits for the bus.
      this.#nc.publish(`${this.#prefix}.account.${subjectToken(accountId)}`, JSON.stringify(wire));
    } catch (error) {
      // Closed under us, or the reconnect buffer is full: the other processes' long-polls time out instead.
      this.#log.warn({ err: error }, 'a change notification could not be sent to NATS');
    }
  }

  subscribe(accountId: string, listener: ChangeListener): () => void {
    return this.#local.subscribe(accountId, listener);
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      await this.#local.close();
      this.#subscription.unsubscribe();
      // Drain sends what is buffered; bounded, since a connection that is down may never finish draining.
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
      await Promise.race([this.#nc.drain().catch(() => undefined), giveUp]);
      clearTimeout(timer);
      if (!this.#nc.isClosed()) await this.#nc.close();
    })());
  }

  /** Logs the bus going away and coming back; the notifier itself needs nothing from it (the client reconnects). */
  async #watchStatus(): Promise<void> {
    try {
      for await (const status of this.#nc.status()) {
        if (this.#closing) continue;
        if (status.type === 'disconnect') this.#log.warn({ server: status.server }, 'NATS disconnected: other server processes are not woken until it reconnects');
        else if (status.type === 'reconnect') this.#log.info({ server: status.server }, 'NATS reconnected');
        else if (status.type === 'error') this.#log.warn({ err: status.error }, 'NATS reported an error');
      }
    } catch {
      // The status stream ends with the connection.
    }
  }
}

/**
 * An account id as one subject token. Ids are base64url (`[A-Za-z0-9_-]`), which NATS takes as they are;
 * anything else (`.`, `*`, `>`, spaces…) is hex-encoded behind a `~`, which base64url never contains.
 */
export function subjectToken(accountId: string): string {
  return /^[A-Za-z0-9_-]+$/.test(accountId) ? accountId : `~${Buffer.from(accountId, 'utf8').toString('hex')}`;
}

function unreachable(url: string, error: unknown): NatsUnreachableError {
  // A password in the URL stays out of the message (it goes to the terminal and the logs).
  const shown = url.replace(/\/\/([^:@/]*):[^@/]*@/g, '//$1:***@');
  return new NatsUnreachableError(`NATS at ${shown} does not answer (${error instanceof Error ? error.message : String(error)})`, { cause: error });
}

function parseWire(data: Uint8Array): Wire | null {
  try {
    const wire = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<Wire> | null;
    const event = wire?.event;
    if (typeof wire?.account !== 'string' || !event) return null;
    if (event.kind === 'storage' || event.kind === 'services' || event.kind === 'devices') return { account: wire.account, event: { kind: event.kind } };
    if (event.kind === 'feed' && Number.isSafeInteger(event.seq)) return { account: wire.account, event: { kind: 'feed', seq: event.seq } };
    return null;
  } catch {
    // Another publisher on our subjects, or a newer format: only a hint lost.
    return null;
  }
}
