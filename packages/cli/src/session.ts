// The CLI's link to a server: an ApiClient for a URL or for the stored session, and API failures as one clear line.
import {
  DNS_CODES,
  ApiClient,
  dnsRoute,
  readHomeDnsServers,
  DEFAULT_REQUEST_TIMEOUT_MS,
  SessionFileError,
  TransportError,
  nimbusHome,
  readSession,
  writeSession,
  type StoredSession,
} from '@nimbus/client';
import { isNimbusError } from '@nimbus/protocol';
import { EXIT, UserError } from './output.js';

/**
 * No request waits longer than this for the server's answer to start (a black-holed link must not hang the terminal
 * or the agent): NIMBUS_REQUEST_TIMEOUT_MS, default 30 s.
 */
export function requestTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env['NIMBUS_REQUEST_TIMEOUT_MS'];
  const ms = text === undefined ? NaN : Number(text);
  if (text !== undefined && !(Number.isInteger(ms) && ms > 0)) {
    throw new UserError(`NIMBUS_REQUEST_TIMEOUT_MS must be a whole number of milliseconds, not "${text}"`, EXIT.usage);
  }
  return Number.isNaN(ms) ? DEFAULT_REQUEST_TIMEOUT_MS : ms;
}

/** A client for `server` (a bad URL is a usage error), optionally signed in with `session`'s tokens. */
export function connect(server: string, session?: StoredSession, home?: string, timeoutMs = requestTimeoutMs()): ApiClient {
  try {
    // The user's DNS servers (nimbus config set dns) resolve the server's name when set; they work before a login too.
    const servers = readHomeDnsServers(home ?? nimbusHome());
    const dns = dnsRoute(() => servers);
    return new ApiClient({
      server,
      timeoutMs,
      lookup: dns.lookup,
      session: session?.tokens,
      // Refreshed tokens are saved at once: the old refresh token is dead the moment the server rotates it.
      onSession: session && home ? (tokens) => writeSession(home, { ...session, tokens }) : undefined,
    });
  } catch (error) {
    if (error instanceof TypeError) throw new UserError(`--server ${error.message}`, EXIT.usage);
    throw error;
  }
}

export interface SignedIn {
  home: string;
  session: StoredSession;
  client: ApiClient;
}

/** The stored session of this device; a clear error when there is none. */
export async function signedIn(): Promise<SignedIn> {
  const home = nimbusHome();
  const session = await loadSession(home);
  if (!session) throw new UserError('not signed in: run nimbus login --server URL --email EMAIL');
  return { home, session, client: connect(session.server, session, home) };
}

export async function loadSession(home: string): Promise<StoredSession | undefined> {
  try {
    return await readSession(home);
  } catch (error) {
    if (error instanceof SessionFileError) throw new UserError(error.message);
    throw error;
  }
}

/** Runs an API call; whatever goes wrong becomes one line naming the cause and, where there is one, the fix. */
export async function api<T>(call: () => Promise<T>, context: { server: string; email?: string | undefined }): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toUserError(error, context);
  }
}

const DNS_HINT = ": the server's name can't be looked up (DNS) — check the URL, or use other DNS servers: nimbus config set dns 1.1.1.1,8.8.8.8";

export function toUserError(error: unknown, context: { server: string; email?: string | undefined }): unknown {
  if (error instanceof UserError) return error;
  if (error instanceof TransportError) {
    const hint =
      error.status !== undefined ? '' : DNS_CODES.has(error.code ?? '') ? DNS_HINT : ': is the server running, and is the URL right?';
    return new UserError(`${error.message}${hint}`);
  }
  if (!isNimbusError(error)) return error;
  const reason = error.details.reason;
  const code = typeof reason === 'string' ? `${error.kind}: ${reason}` : error.kind;
  if (error.kind === 'AUTH_REVOKED' || error.kind === 'AUTH_EXPIRED') {
    const login = `nimbus login --server ${context.server}${context.email ? ` --email ${context.email}` : ''}`;
    return new UserError(`${error.message} (${code}) — run ${login}`);
  }
  return new UserError(`${error.message} (${code})`);
}
