// A DNS server on 127.0.0.1 (UDP and TCP, one port) that answers A records from a map: the "configured DNS" of tests.
// The wire format comes from dns-packet (maintained, used by mdns/bonjour tooling) rather than a hand-made codec.
import dnsPacket, { type Answer, type Packet, type Question } from 'dns-packet';
import dgram from 'node:dgram';
import net from 'node:net';

/** DNS response codes the stub sends (RFC 1035 §4.1.1). */
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

export interface DnsStubOptions {
  /** Name → IPv4 address(es). Names match without case and without a trailing dot. */
  readonly records?: Readonly<Record<string, string | readonly string[]>>;
  /** 0 (the default) picks a free port, the same for UDP and TCP. */
  readonly port?: number;
  /** Seconds the answers may be cached. */
  readonly ttl?: number;
}

/** How the stub behaves: answer from its map, fail every query, or say nothing (the resolver times out). */
export type DnsStubMode = 'answer' | 'servfail' | 'silent';

const normalize = (name: string): string => name.toLowerCase().replace(/\.$/, '');

export class DnsStub {
  /** Queries received, per transport; `names` counts each name asked (normalized). */
  readonly stats = { udp: 0, tcp: 0, names: new Map<string, number>() };
  mode: DnsStubMode = 'answer';
  private readonly records = new Map<string, string[]>();

  private constructor(
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    readonly port: number,
    private readonly ttl: number,
  ) {}

  /** Binds UDP first (a free port if 0), then TCP on the same number; retries a few times if TCP's is taken. */
  static async start(options: DnsStubOptions = {}): Promise<DnsStub> {
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address: '127.0.0.1', port: options.port ?? 0 }, () => resolve());
      });
      const port = udp.address().port;
      const tcp = net.createServer();
      const listening = await new Promise<boolean>((resolve) => {
        tcp.once('error', () => resolve(false));
        tcp.listen({ host: '127.0.0.1', port }, () => resolve(true));
      });
      if (!listening) {
        udp.close();
        if (options.port || attempt >= 5) throw new Error(`DNS stub could not listen on TCP 127.0.0.1:${port}`);
        continue;
      }
      const stub = new DnsStub(udp, tcp, port, options.ttl ?? 5);
      for (const [name, addresses] of Object.entries(options.records ?? {})) stub.set(name, addresses);
      stub.serve();
      return stub;
    }
  }

  /** `127.0.0.1:PORT`, as `dns.Resolver#setServers` and `nimbus config set dns` take it. */
  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  set(name: string, addresses: string | readonly string[]): void {
    this.records.set(normalize(name), [addresses].flat());
  }

  delete(name: string): void {
    this.records.delete(normalize(name));
  }

  /** Queries seen for one name, over both transports. */
  queriesFor(name: string): number {
    return this.stats.names.get(normalize(name)) ?? 0;
  }

  async close(): Promise<void> {
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }

  private serve(): void {
    this.udp.on('message', (message, from) => {
      this.stats.udp++;
      const reply = this.reply(message);
      if (reply) this.udp.send(reply, from.port, from.address);
    });
    this.tcp.on('connection', (socket) => {
      this.stats.tcp++;
      socket.on('error', () => undefined);
      // Over TCP each message is prefixed by its 16-bit length (RFC 1035 §4.2.2).
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          const length = pending.readUInt16BE(0);
          const reply = this.reply(pending.subarray(2, 2 + length));
          pending = pending.subarray(2 + length);
          if (reply) {
            const framed = Buffer.alloc(2 + reply.length);
            framed.writeUInt16BE(reply.length, 0);
            reply.copy(framed, 2);
            socket.write(framed);
          }
        }
      });
    });
  }

  /** The answer to one query message, or undefined to stay silent. */
  private reply(message: Buffer): Buffer | undefined {
    let query: Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined; // not DNS: ignore it, as a real server would
    }
    const questions: Question[] = query.questions ?? [];
    for (const question of questions) {
      const name = normalize(question.name);
      this.stats.names.set(name, (this.stats.names.get(name) ?? 0) + 1);
    }
    if (this.mode === 'silent') return undefined;
    let rcode: number = RCODE.NOERROR;
    const answers: Answer[] = [];
    for (const question of questions) {
      const addresses = this.records.get(normalize(question.name));
      if (this.mode === 'servfail') rcode = RCODE.SERVFAIL;
      else if (!addresses) rcode = RCODE.NXDOMAIN;
      else if (question.type === 'A') {
        for (const data of addresses) answers.push({ type: 'A', class: 'IN', name: question.name, ttl: this.ttl, data });
      }
      // A known name asked for another type (AAAA…): NOERROR with no answers, which resolvers read as "no such record".
    }
    const flags = dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | rcode;
    return dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags, questions, answers });
  }
}
