// Password hashing with argon2id at (or above) OWASP's minimum: 19 MiB of memory, 2 passes, 1 lane.
import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';

/** `Algorithm` is an ambient const enum, which isolated modules cannot read; 2 is its Argon2id. */
const ARGON2ID = 2 as Algorithm;

export const PASSWORD_HASH_OPTIONS: Readonly<Options> = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export function hashPassword(password: string): Promise<string> {
  return hash(password, PASSWORD_HASH_OPTIONS);
}

/** False for a wrong password and for a stored hash that does not parse (never throws on bad input). */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same KDF time as a real check, for sign-ins with an unknown email,
 * so response time does not tell which emails have accounts.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('nimbus-dummy-password-for-timing');
  await verifyPassword(await dummyHash, password);
}
