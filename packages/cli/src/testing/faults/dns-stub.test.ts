// DnsStub as Node's own resolver (c-ares) meets it: answers from the map, NXDOMAIN otherwise, and failures on demand.
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsStub } from './dns-stub.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: NodeJS.ErrnoException) => error.code,
  );
}

describe('DnsStub', () => {
  let stub: DnsStub;
  let resolver: Resolver;

  beforeAll(async () => {
    stub = await DnsStub.start({ records: { 'nimbus.test': '127.0.0.1', 'Multi.Test.': ['10.0.0.1', '10.0.0.2'] } });
    // Short timeouts, one try: the "silent" case must fail fast.
    resolver = new Resolver({ timeout: 200, tries: 1 });
    resolver.setServers([stub.server]);
  });
  afterAll(() => stub.close());

  it('resolves names from its map through dns.Resolver, and counts the queries', async () => {
    expect(await resolver.resolve4('nimbus.test')).toEqual(['127.0.0.1']);
    expect((await resolver.resolve4('multi.test')).sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(stub.queriesFor('NIMBUS.test.')).toBe(1);
    expect(stub.stats.udp).toBeGreaterThanOrEqual(2);
  });

  it('answers NXDOMAIN for names it does not know, and for names deleted at run time', async () => {
    expect(await codeOf(resolver.resolve4('unknown.test'))).toBe('ENOTFOUND');
    stub.set('later.test', '127.0.0.2');
    expect(await resolver.resolve4('later.test')).toEqual(['127.0.0.2']);
    stub.delete('later.test');
    expect(await codeOf(resolver.resolve4('later.test'))).toBe('ENOTFOUND');
  });

  it('has no AAAA records: a known name asked for IPv6 gets no data, not an error about the name', async () => {
    expect(await codeOf(resolver.resolve6('nimbus.test'))).toBe('ENODATA');
  });

  it('fails every query (SERVFAIL) or stays silent (the resolver times out) when told to', async () => {
    stub.mode = 'servfail';
    expect(await codeOf(resolver.resolve4('nimbus.test'))).toBe('ESERVFAIL');
    stub.mode = 'silent';
    expect(await codeOf(resolver.resolve4('nimbus.test'))).toBe('ETIMEOUT');
    stub.mode = 'answer';
    expect(await resolver.resolve4('nimbus.test')).toEqual(['127.0.0.1']);
  });

  it('answers over TCP on the same port', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: stub.port });
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) resolve(got);
      });
      socket.on('error', reject);
      socket.write(dnsPacket.streamEncode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'nimbus.test' }] }));
    });
    socket.destroy();
    const answer = dnsPacket.streamDecode(reply);
    expect(answer.id).toBe(7);
    expect(answer.answers?.[0]).toMatchObject({ type: 'A', name: 'nimbus.test', data: '127.0.0.1' });
    expect(stub.stats.tcp).toBe(1);
  });
});
