// The configured DNS servers against a real DNS server (the stub): lookups, the TTL cache, failures as DNS codes,
// and a real HTTP request through Node's own fetch and through node:http to a name only the stub knows.
import { ConfiguredResolver, dnsRoute, resetDnsRoutes } from '@nimbus/client';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsStub } from './testing/faults/dns-stub.js';

const NAME = 'nimbus-unit.invalid';

describe('DNS through the configured servers', () => {
  let stub: DnsStub;
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    stub = await DnsStub.start({ records: { [NAME]: '127.0.0.1' }, ttl: 60 });
    server = http.createServer((req, res) => res.end(`host ${req.headers.host}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    resetDnsRoutes();
    await new Promise((resolve) => server.close(resolve));
    await stub.close();
  });

  it('resolves a name the stub knows, keeps it for its TTL, and asks again once told to forget', async () => {
    const resolver = new ConfiguredResolver([stub.server]);
    expect(await resolver.resolve(NAME)).toEqual([{ address: '127.0.0.1', family: 4 }]);
    const asked = stub.queriesFor(NAME);
    await resolver.resolve(NAME);
    expect(stub.queriesFor(NAME)).toBe(asked);
    resolver.forget();
    await resolver.resolve(NAME);
    expect(stub.queriesFor(NAME)).toBeGreaterThan(asked);
  });

  it('reports an unknown name as ENOTFOUND and a failing server as EAI_AGAIN, naming the servers', async () => {
    const resolver = new ConfiguredResolver([stub.server]);
    await expect(resolver.resolve('unknown.invalid')).rejects.toMatchObject({ code: 'ENOTFOUND', hostname: 'unknown.invalid', message: expect.stringContaining(stub.server) });
    stub.mode = 'servfail';
    try {
      await expect(new ConfiguredResolver([stub.server]).resolve(NAME)).rejects.toMatchObject({ code: 'EAI_AGAIN' });
    } finally {
      stub.mode = 'answer';
    }
  });

  it('still finds names the system knows (localhost) when the configured servers do not', async () => {
    const answers = await new ConfiguredResolver([stub.server]).resolve('localhost');
    expect(answers.length).toBeGreaterThan(0);
  });

  it("sends Node's fetch and node:http requests to the stub's address while servers are set, the system's when not", async () => {
    let servers: string[] = [stub.server];
    const route = dnsRoute(() => servers);
    const url = `http://${NAME}:${port}/`;
    const viaFetch = await route.wrap(globalThis.fetch)(url);
    expect(await viaFetch.text()).toBe(`host ${NAME}:${port}`);
    const viaHttp = await new Promise<string>((resolve, reject) => {
      http
        .get(url, { lookup: route.lookup, agent: false }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(viaHttp).toBe(`host ${NAME}:${port}`);
    servers = [];
    await expect(route.wrap(globalThis.fetch)(url)).rejects.toMatchObject({ cause: { code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) } });
  });
});
