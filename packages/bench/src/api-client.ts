// A tiny JSON client over keep-alive node:http, for setup calls and the record benches.
import { HEADERS, PROTOCOL_VERSION } from '@nimbus/protocol';
import http from 'node:http';

export interface Api {
  base: string;
  token: string;
  agent: http.Agent;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} answered ${status}: ${body.slice(0, 500)}`);
  }
}

export function baseHeaders(token: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { [HEADERS.protocol]: String(PROTOCOL_VERSION) };
  if (token) headers['authorization'] = `Bearer ${token}`;
  return headers;
}

export function requestJson<T>(
  agent: http.Agent,
  base: string,
  method: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<T> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers = baseHeaders(token);
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return new Promise((done, fail) => {
    const req = http.request(new URL(path, base), { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) return fail(new HttpError(status, text, `${method} ${path}`));
        try {
          done((text ? JSON.parse(text) : undefined) as T);
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on('error', fail);
    req.end(payload);
  });
}

let accounts = 0;

/** Creates an account and signs in one device: the bench's API handle. */
export async function signUp(base: string, agent = new http.Agent({ keepAlive: true, maxSockets: 16 })): Promise<Api> {
  const email = `bench-${process.pid}-${Date.now()}-${accounts++}@example.test`;
  const password = 'bench-password-1234';
  await requestJson(agent, base, 'POST', '/v1/accounts', { email, password });
  const session = await requestJson<{ accessToken: string }>(agent, base, 'POST', '/v1/sessions', {
    email,
    password,
    deviceName: 'bench',
  });
  return { base, token: session.accessToken, agent };
}

/** `count` accounts, `parallel` sign-ups at a time (each hashes a password): their access tokens. */
export async function signUpMany(base: string, count: number, parallel = 4): Promise<string[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: parallel });
  const tokens: string[] = [];
  const worker = async (): Promise<void> => {
    while (tokens.length < count) {
      tokens.push('');
      const slot = tokens.length - 1;
      tokens[slot] = (await signUp(base, agent)).token;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  } finally {
    agent.destroy();
  }
  return tokens;
}
