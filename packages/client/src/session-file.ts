// The signed-in device's session, `$NIMBUS_HOME/session.json`: owner-only (0600), replaced atomically.
import { sessionTokens } from '@nimbus/protocol';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { normalizeServerUrl } from './api-client.js';

export { nimbusHome } from './home.js';

export const storedSession = z.object({
  server: z.string(),
  email: z.string(),
  deviceName: z.string(),
  /** The account signed in to (files written before it was kept lack it: server + email identify the account then). */
  accountId: z.string().optional(),
  tokens: sessionTokens,
});
export type StoredSession = z.infer<typeof storedSession>;

export function sessionFilePath(home: string): string {
  return join(home, 'session.json');
}

export class SessionFileError extends Error {
  override readonly name = 'SessionFileError';
}

/** The stored session, or undefined when this device is not signed in. A damaged file is an error that names it. */
export async function readSession(home: string): Promise<StoredSession | undefined> {
  const path = sessionFilePath(home);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SessionFileError(`${path} is damaged (not JSON): remove it and sign in again`);
  }
  const parsed = storedSession.safeParse(json);
  if (!parsed.success) throw new SessionFileError(`${path} is damaged: remove it and sign in again`);
  return parsed.data;
}

/** Writes to a temp file (0600) in the same folder, fsyncs, then renames over: a crash leaves the old or the new file, never half. */
export async function writeSession(home: string, session: StoredSession): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const path = sessionFilePath(home);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(storedSession.parse(session), null, 2)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    // The mode given to open() is masked by umask; make sure.
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function removeSession(home: string): Promise<void> {
  await rm(sessionFilePath(home), { force: true });
}

/** Which account a state database mirrors: recorded in its meta at the first sync (see open-engine.ts). */
export interface AccountIdentity {
  server: string;
  email: string;
  /** Absent for sessions stored before the id was kept: server + email identify the account then. */
  accountId?: string | undefined;
}

export const ACCOUNT_META_KEY = 'account';

export function identityOf(session: Pick<StoredSession, 'server' | 'email' | 'accountId'>): AccountIdentity {
  return { server: normalizeServerUrl(session.server), email: session.email.toLowerCase(), accountId: session.accountId };
}

/** The account a state database belongs to, if recorded. */
export function boundAccount(store: { getMeta(key: string): string | undefined }): AccountIdentity | undefined {
  try {
    const value = JSON.parse(store.getMeta(ACCOUNT_META_KEY) ?? 'null') as AccountIdentity | null;
    return value && typeof value.server === 'string' && typeof value.email === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function sameAccount(a: AccountIdentity, b: AccountIdentity): boolean {
  if (a.accountId !== undefined && b.accountId !== undefined) return a.accountId === b.accountId;
  return normalizeServerUrl(a.server) === normalizeServerUrl(b.server) && a.email.toLowerCase() === b.email.toLowerCase();
}

/** The exact sign-in command for an account: what a "sign in again" remedy tells the user to run. */
export function loginCommand(account: Pick<AccountIdentity, 'server' | 'email'> | undefined): string {
  return account ? `nimbus login --server ${account.server} --email ${account.email}` : 'nimbus login --server URL --email EMAIL';
}
