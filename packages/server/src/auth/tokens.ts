// Opaque session tokens: `<sessionId>.<secret>`. Only a SHA-256 of the secret is stored.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface IssuedToken {
  token: string;
  hash: string;
}

export function newId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A fresh token for the session; store `hash`, hand out `token`. */
export function issueToken(sessionId: string): IssuedToken {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${sessionId}.${secret}`, hash: hashSecret(secret) };
}

/** Splits a presented token; undefined when it is not of our shape. */
export function parseToken(token: string): { sessionId: string; secret: string } | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot === token.length - 1 || token.length > 256) return undefined;
  const sessionId = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(sessionId) || !/^[A-Za-z0-9_-]+$/.test(secret)) return undefined;
  return { sessionId, secret };
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string | null): boolean {
  if (storedHash === null) return false;
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
