// Host names looked up through the user's DNS servers (node:dns Resolver + setServers), in the shape net.connect's `lookup` takes.
import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';

/** One query to a configured server gives up after this long (tried twice): a dead DNS server must fail fast. */
export const DNS_QUERY_TIMEOUT_MS = 1_500;
/** Answers are kept for their TTL, at most this long. */
const MAX_CACHE_MS = 300_000;

interface Cached {
  readonly answers: LookupAddress[];
  readonly until: number;
}

/**
 * Resolves through `servers` (A, then AAAA), keeping answers for their TTL until `forget()` ("reset network state").
 * When the configured servers know nothing, the system's own lookup (hosts file, `localhost`) is tried; if that fails
 * too, the configured servers' error is the one reported — with a code the classifier reads as DNS_FAILURE.
 */
export class ConfiguredResolver {
  readonly #resolver: Resolver;
  readonly #cache = new Map<string, Cached>();

  constructor(
    readonly servers: readonly string[],
    timeoutMs = DNS_QUERY_TIMEOUT_MS,
    private readonly now: () => number = Date.now,
    /** false: only the configured servers are asked (`nimbus doctor` checks them alone). */
    private readonly options: { readonly systemFallback?: boolean } = {},
  ) {
    this.#resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
    this.#resolver.setServers([...servers]);
  }

  /** The addresses of `host` (IPv4 first), from the cache or the configured servers. */
  async resolve(host: string): Promise<LookupAddress[]> {
    if (isIP(host) !== 0) return [{ address: host, family: isIP(host) }];
    const key = host.toLowerCase();
    const cached = this.#cache.get(key);
    if (cached && cached.until > this.now()) return cached.answers;
    const [v4, v6] = await Promise.allSettled([this.#resolver.resolve4(host, { ttl: true }), this.#resolver.resolve6(host, { ttl: true })]);
    const answers = [
      ...(v4.status === 'fulfilled' ? v4.value.map((r) => ({ address: r.address, family: 4, ttl: r.ttl })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((r) => ({ address: r.address, family: 6, ttl: r.ttl })) : []),
    ];
    if (answers.length === 0) {
      const system = this.options.systemFallback === false ? undefined : await systemAnswers(host);
      if (system) return system;
      throw dnsError(host, this.servers, v4.status === 'rejected' ? v4.reason : undefined);
    }
    const ttlMs = Math.min(MAX_CACHE_MS, ...answers.map((a) => a.ttl * 1000));
    const result = answers.map(({ address, family }) => ({ address, family }));
    if (ttlMs > 0) this.#cache.set(key, { answers: result, until: this.now() + ttlMs });
    return result;
  }

  /** Forgets every cached answer: the next connection asks the servers again. */
  forget(): void {
    this.#cache.clear();
  }

  /** `resolve` as a net/tls/http `lookup` option (`all` or one address, filtered by the family asked for). */
  readonly lookup: LookupFunction = (host, options, callback) => {
    this.resolve(host).then(
      (answers) => {
        const wanted = options.family === 4 || options.family === 6 ? answers.filter((a) => a.family === options.family) : answers;
        if (wanted.length === 0) return callback(dnsError(host, this.servers, undefined), options.all ? [] : '', 0);
        if (options.all) return callback(null, wanted);
        const first = wanted[0] as LookupAddress;
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, options.all ? [] : '', 0),
    );
  };
}

function systemAnswers(host: string): Promise<LookupAddress[] | undefined> {
  return new Promise((resolve) => systemLookup(host, { all: true }, (error, addresses) => resolve(error || addresses.length === 0 ? undefined : addresses)));
}

/**
 * A lookup failure as the system resolver would report it: ENOTFOUND for "no such name", EAI_AGAIN when the
 * servers did not answer or failed (timeout, refused, SERVFAIL) — both DNS_FAILURE to the classifier.
 */
function dnsError(host: string, servers: readonly string[], cause: unknown): NodeJS.ErrnoException {
  const raw = (cause as { code?: unknown } | undefined)?.code;
  const code = typeof raw === 'string' ? raw : undefined;
  const notFound = code === undefined || code === 'ENOTFOUND' || code === 'ENODATA';
  const error: NodeJS.ErrnoException & { hostname?: string } = new Error(
    `${notFound ? 'ENOTFOUND' : 'EAI_AGAIN'} ${host}: ${notFound ? 'no such name' : `no answer (${code})`} from DNS servers ${servers.join(', ')}`,
    { cause },
  );
  error.code = notFound ? 'ENOTFOUND' : 'EAI_AGAIN';
  error.hostname = host;
  return error;
}
