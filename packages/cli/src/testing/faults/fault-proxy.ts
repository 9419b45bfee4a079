// A TCP proxy on loopback between a client and a server that plays one fault at a time, switchable at run time.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { FaultAnswers } from './fault-answers.js';
import { FAULT_MODE_KINDS, forwards, survivesSwitch, toFaultMode, type FaultMode, type FaultModeInput, type FaultModeKind } from './fault-mode.js';
import { throttle } from './throttle.js';

export interface FaultProxyOptions {
  /** The real server: `http(s)://host:port` or host and port. TLS passes through untouched when forwarding. */
  readonly target: string | { readonly host: string; readonly port: number };
  /** 0 (the default) picks a free port; the proxy keeps it across `refuse` and back. */
  readonly port?: number;
  /** The mode at start; `pass` by default. */
  readonly mode?: FaultModeInput;
  /**
   * The certificate of the answers the proxy makes itself (portal, status): set it on a proxy in front of an
   * HTTPS server. A portal gets a certificate the client does not trust (self-signed, or for another name);
   * a `status` fault in front of HTTPS needs one the client trusts.
   */
  readonly answerTls?: { readonly cert: string; readonly key: string };
}

/** What went through the proxy, for assertions. Bytes count what was forwarded, not what the proxy answered. */
export interface FaultProxyStats {
  /** Connections accepted (a refused one is never seen). */
  connections: number;
  /** Connections accepted per mode. */
  byMode: Record<FaultModeKind, number>;
  /** Client → server bytes forwarded. */
  bytesToServer: number;
  /** Server → client bytes forwarded. */
  bytesToClient: number;
  /** Requests the proxy answered itself (portal pages, redirects, error statuses). */
  answers: number;
  /** Connections cut with a TCP RST in `reset` mode. */
  resets: number;
}

const HOST = '127.0.0.1';
/** How long `reset` waits between the last bytes and the RST, so the client has read them. */
const RESET_GRACE_MS = 50;

function emptyStats(): FaultProxyStats {
  const byMode = Object.fromEntries(FAULT_MODE_KINDS.map((kind) => [kind, 0])) as Record<FaultModeKind, number>;
  return { connections: 0, byMode, bytesToServer: 0, bytesToClient: 0, answers: 0, resets: 0 };
}

function parseTarget(target: FaultProxyOptions['target']): { host: string; port: number } {
  if (typeof target !== 'string') return { host: target.host, port: target.port };
  const url = new URL(target);
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/**
 * Listens on 127.0.0.1 and forwards to the target, or plays the current fault. A mode applies to new
 * connections; a switch to a fault also drops the connections already open (see `survivesSwitch`), so a
 * keep-alive client meets the fault on its next request.
 */
/** Where FaultProxy.start picks a port when none is given (below the ephemeral range; see start). */
const FIXED_PORTS_FROM = 20_000;
const FIXED_PORTS_TO = 32_000;

export class FaultProxy {
  /** Counters since start (or the last `resetStats`). */
  stats: FaultProxyStats = emptyStats();
  private current: FaultMode;
  private target: { host: string; port: number };
  private readonly server: net.Server;
  private readonly answers: FaultAnswers;
  private readonly open = new Map<net.Socket, FaultModeKind>();
  private readonly tls: boolean;
  private listenPort: number;
  private closed = false;

  private constructor(options: FaultProxyOptions) {
    this.current = toFaultMode(options.mode ?? 'pass');
    this.target = parseTarget(options.target);
    this.listenPort = options.port ?? 0;
    this.tls = options.answerTls !== undefined;
    this.server = net.createServer((socket) => this.accept(socket));
    this.answers = new FaultAnswers(
      {
        mode: () => (this.current.kind === 'portal' || this.current.kind === 'status' ? this.current : undefined),
        baseUrl: () => this.url(this.tls ? 'https' : 'http'),
        onAnswer: () => void this.stats.answers++,
      },
      options.answerTls,
    );
  }

  /**
   * Starts listening (unless the first mode is `refuse`, which still reserves a port first). Without a port, one
   * is picked below Linux's ephemeral range (32768–60999): `refuse` closes the listener and must get the same port
   * back, and a port in that range can meanwhile become the source port of any outgoing connection (EADDRINUSE).
   */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    if (options.port === undefined) {
      for (let attempt = 0; ; attempt++) {
        const port = FIXED_PORTS_FROM + Math.floor(Math.random() * (FIXED_PORTS_TO - FIXED_PORTS_FROM));
        try {
          return await FaultProxy.start({ ...options, port });
        } catch (error) {
          if (attempt >= 30 || !String(error).includes('EADDRINUSE')) throw error;
        }
      }
    }
    const proxy = new FaultProxy(options);
    await proxy.listen();
    if (proxy.current.kind === 'refuse') await proxy.stopListening();
    return proxy;
  }

  /** The port the proxy listens on (the same one across `refuse` and back). */
  get port(): number {
    return this.listenPort;
  }

  get mode(): FaultMode {
    return this.current;
  }

  /** `http://127.0.0.1:PORT` (or https) with an optional path: what the client is pointed at. */
  url(scheme: 'http' | 'https' = 'http', path = ''): string {
    return `${scheme}://${HOST}:${this.listenPort}${path}`;
  }

  /** Switches the fault; resolves once the connections it drops are closed and new connections meet it. */
  async setMode(input: FaultModeInput): Promise<void> {
    if (this.closed) throw new Error('the fault proxy is closed');
    const next = toFaultMode(input);
    this.current = next;
    const dropped = [...this.open].filter(([, kind]) => !survivesSwitch(kind, next.kind)).map(([socket]) => socket);
    await Promise.all(dropped.map((socket) => new Promise((resolve) => socket.destroy().once('close', resolve))));
    // One more turn of the event loop, so an in-process client has read the close before its next request.
    await new Promise((resolve) => setImmediate(resolve));
    if (next.kind === 'refuse') await this.stopListening();
    else if (!this.server.listening) await this.listen();
  }

  /** Forwards new connections elsewhere from now on (a restarted server on another port). */
  setTarget(target: FaultProxyOptions['target']): void {
    this.target = parseTarget(target);
  }

  resetStats(): void {
    this.stats = emptyStats();
  }

  /** Connections open now, per mode they were accepted under. */
  openConnections(): number {
    return this.open.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const socket of this.open.keys()) socket.destroy();
    this.answers.close();
    await this.stopListening();
  }

  private async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void => reject(new Error(`fault proxy could not listen on ${HOST}:${this.listenPort}: ${error.message}`));
      this.server.once('error', failed);
      this.server.listen({ host: HOST, port: this.listenPort }, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('fault proxy is not on a TCP port');
    this.listenPort = address.port;
  }

  private async stopListening(): Promise<void> {
    if (!this.server.listening) return;
    // Every open socket was destroyed already, so close() ends at once.
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const mode = this.current;
    this.stats.connections++;
    this.stats.byMode[mode.kind]++;
    this.open.set(client, mode.kind);
    client.once('close', () => this.open.delete(client));
    client.on('error', () => undefined); // the client side going away is part of every fault
    switch (mode.kind) {
      case 'refuse': // accepted just before the listener closed
        client.destroy();
        return;
      case 'blackhole':
        client.resume(); // read and drop everything, answer nothing
        return;
      case 'portal':
      case 'status':
        this.answers.take(client);
        return;
      default:
        if (forwards(mode.kind)) this.forward(client, mode);
    }
  }

  private forward(client: net.Socket, mode: FaultMode): void {
    const upstream = net.connect(this.target);
    upstream.on('error', () => {
      // The server behind the proxy is gone: the client sees its connection cut, as it would without the proxy.
      if (!client.destroyed) client.resetAndDestroy();
    });
    const toServer: Duplex = mode.kind === 'slow' ? client.pipe(throttle(mode.bytesPerSecond)) : client;
    const toClient: Duplex = mode.kind === 'slow' ? upstream.pipe(throttle(mode.bytesPerSecond)) : upstream;
    client.once('close', () => {
      upstream.destroy();
      toServer.destroy();
      toClient.destroy();
    });
    this.relay(toServer, upstream, (chunk) => {
      this.stats.bytesToServer += chunk.length;
      return true;
    });

    let sent = 0;
    let cut = false;
    this.relay(toClient, client, (chunk) => {
      if (cut) return false;
      if (mode.kind === 'reset' && sent + chunk.length >= mode.afterBytes) {
        cut = true;
        this.cut(client, upstream, chunk.subarray(0, mode.afterBytes - sent));
        return false;
      }
      sent += chunk.length;
      this.stats.bytesToClient += chunk.length;
      return true;
    });
  }

  /** Copies `from` into `to` with backpressure, each chunk only if `pass` says so; ends `to` at the end. */
  private relay(from: Duplex, to: net.Socket, pass: (chunk: Buffer) => boolean): void {
    from.on('data', (chunk: Buffer) => {
      if (!pass(chunk) || to.destroyed) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.once('end', () => to.end());
  }

  /**
   * Sends the last bytes, then a TCP RST: the client reads them, then gets ECONNRESET. The RST waits a moment
   * because one that arrives while bytes are still unread reads as a plain end in libuv (EPOLLRDHUP on a
   * partial read), which would make the fault look like a server closing early.
   */
  private cut(client: net.Socket, upstream: net.Socket, last: Buffer): void {
    upstream.destroy();
    if (client.destroyed) return;
    this.stats.bytesToClient += last.length;
    this.stats.resets++;
    client.write(last, () =>
      setTimeout(() => {
        if (!client.destroyed) client.resetAndDestroy();
      }, RESET_GRACE_MS),
    );
  }
}
