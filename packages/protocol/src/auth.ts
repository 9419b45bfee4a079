// Wire shapes of accounts, sessions and two-factor authentication.
import { z } from 'zod';
import { deviceStatusView } from './devices.js';

export const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());
/** At least 8 characters; long passphrases welcome (the KDF takes any length, we cap the request). */
export const passwordSchema = z.string().min(8, 'use at least 8 characters').max(1024);
export const deviceNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]*$/u, 'no control characters');
export const otpSchema = z.string().trim().regex(/^\d{6}$/, 'a 6-digit code');

export const createAccountRequest = z.strictObject({ email: emailSchema, password: passwordSchema });
export type CreateAccountRequest = z.infer<typeof createAccountRequest>;

export const accountView = z.object({
  id: z.string(),
  email: z.string(),
  isAdmin: z.boolean(),
  twoFactorEnabled: z.boolean(),
  quotaBytes: z.number(),
  usedBytes: z.number(),
  createdAt: z.number(),
});
export type AccountView = z.infer<typeof accountView>;

export const loginRequest = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(1024),
  otp: otpSchema.optional(),
  deviceName: deviceNameSchema.default('unnamed device'),
});
export type LoginRequest = z.input<typeof loginRequest>;
/** A login request after parsing (device name defaulted, email normalized). */
export type LoginCredentials = z.output<typeof loginRequest>;

/** Tokens are opaque strings; the access token goes in `Authorization: Bearer …`. */
export const sessionTokens = z.object({
  sessionId: z.string(),
  accessToken: z.string(),
  accessExpiresAt: z.number(),
  refreshToken: z.string(),
  refreshExpiresAt: z.number(),
});
export type SessionTokens = z.infer<typeof sessionTokens>;

export const loginResponse = sessionTokens.extend({ account: accountView });
export type LoginResponse = z.infer<typeof loginResponse>;

export const refreshRequest = z.strictObject({ refreshToken: z.string().min(1).max(512) });
export type RefreshRequest = z.infer<typeof refreshRequest>;

export const deviceView = z.object({
  sessionId: z.string(),
  deviceName: z.string(),
  createdAt: z.number(),
  lastSeenAt: z.number(),
  current: z.boolean(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  /** What the device last reported about its sync (null: nothing yet, or a server older than this field). */
  status: deviceStatusView.nullable().default(null),
});
export type DeviceView = z.infer<typeof deviceView>;
export const devicesResponse = z.object({
  devices: z.array(deviceView),
  /** Changes whenever the listing does: pass it as `since` with `wait` to hear of the next change (GET /v1/devices). */
  revision: z.string().optional(),
});
export type DevicesResponse = z.infer<typeof devicesResponse>;

/** GET /v1/account/sign-ins: the latest sign-ins of the account, newest first, ended ones included. */
export const signInView = z.object({
  sessionId: z.string(),
  deviceName: z.string(),
  createdAt: z.number(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  /** When the session was signed out or revoked; null while it is signed in (or simply ran out). */
  endedAt: z.number().nullable(),
  endedReason: z.string().nullable(),
});
export type SignInView = z.infer<typeof signInView>;
export const signInsResponse = z.object({ signIns: z.array(signInView) });
export type SignInsResponse = z.infer<typeof signInsResponse>;

export const signOutScope = z.enum(['current', 'others', 'all']);
export type SignOutScope = z.infer<typeof signOutScope>;
export const signOutRequest = z.strictObject({ scope: signOutScope });
/** Answer of every sign-out call: how many sessions this call ended. */
export const signOutResponse = z.object({ revokedSessions: z.number() });
export type SignOutResponse = z.infer<typeof signOutResponse>;

export const changePasswordRequest = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: passwordSchema,
});
export type ChangePasswordRequest = z.infer<typeof changePasswordRequest>;
/** The calling device stays signed in with the tokens it has; every other session is revoked. */
export const changePasswordResponse = z.object({ revokedSessions: z.number() });

export const twoFactorSetupResponse = z.object({
  secret: z.string(),
  otpauthUri: z.string(),
  /** The otpauth URI as an SVG QR code. */
  qrSvg: z.string(),
});
export const twoFactorEnableRequest = z.strictObject({ code: otpSchema });
export const twoFactorEnableResponse = z.object({ revokedSessions: z.number() });
export const twoFactorDisableRequest = z.strictObject({ password: z.string().min(1).max(1024), code: otpSchema });
export type TwoFactorSetupResponse = z.infer<typeof twoFactorSetupResponse>;
export type TwoFactorEnableResponse = z.infer<typeof twoFactorEnableResponse>;
export type TwoFactorDisableRequest = z.infer<typeof twoFactorDisableRequest>;

/** TOTP parameters (RFC 6238 defaults, what every authenticator app reads from the otpauth URI). */
export const TOTP_PARAMS = {
  issuer: 'Nimbus',
  algorithm: 'SHA1',
  digits: 6,
  periodSeconds: 30,
  /** Codes one step before or after the current one are accepted (clock drift of the phone). */
  window: 1,
} as const;

/** Failed sign-ins allowed per hour, counted in the database so the limit holds across server processes. */
export const LOGIN_LIMITS = {
  windowMs: 60 * 60 * 1000,
  perAccount: 50,
  perAddress: 100,
} as const;
