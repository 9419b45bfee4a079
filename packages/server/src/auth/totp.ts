// Time-based one-time codes (RFC 6238) for two-factor sign-in, read by any authenticator app.
import { TOTP_PARAMS } from '@nimbus/protocol';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

function totpFor(secret: string, email = ''): TOTP {
  return new TOTP({
    issuer: TOTP_PARAMS.issuer,
    label: email,
    secret: Secret.fromBase32(secret),
    algorithm: TOTP_PARAMS.algorithm,
    digits: TOTP_PARAMS.digits,
    period: TOTP_PARAMS.periodSeconds,
  });
}

/** A fresh 160-bit secret, base32 as authenticator apps expect. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secret: string, email: string): string {
  return totpFor(secret, email).toString();
}

export function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M' });
}

/** The time step `code` belongs to if it is valid at `now` (ms), one step of drift either way; else null. */
export function verifyTotp(secret: string, code: string, now: number): number | null {
  const delta = totpFor(secret).validate({ token: code, timestamp: now, window: TOTP_PARAMS.window });
  return delta === null ? null : Math.floor(now / 1000 / TOTP_PARAMS.periodSeconds) + delta;
}

/** Accepts a code's step once per account: a code seen before (even if still valid) is refused. Atomic. */
export async function claimTotpStep(db: Kysely<Database>, accountId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('accounts')
    .set({ totp_last_step: step })
    .where('id', '=', accountId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The code an authenticator would show at `now` (tests, and nothing else). */
export function currentTotp(secret: string, now: number): string {
  return totpFor(secret).generate({ timestamp: now });
}
