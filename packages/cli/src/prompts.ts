// Secrets and codes from the environment or a hidden prompt; never from argv. Non-interactive runs fail fast with one line.
import { isCancel, password, text } from '@clack/prompts';
import { otpSchema, passwordSchema } from '@nimbus/protocol';
import { EXIT, UserError } from './output.js';

export function isInteractive(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true;
}

interface SecretRequest {
  /** Environment variable that holds it (read first). */
  env: string;
  /** Prompt text. */
  message: string;
  /** What it is, for the error when there is no terminal ("password", "new password"). */
  name: string;
  /** A new password: checked against the rules and asked twice on a prompt. */
  isNew?: boolean;
}

export async function readSecret(request: SecretRequest): Promise<string> {
  const fromEnv = process.env[request.env];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (request.isNew) checkNewPassword(fromEnv, request.env);
    return fromEnv;
  }
  if (!isInteractive()) {
    throw new UserError(`no terminal to ask for the ${request.name}: set ${request.env}`, EXIT.usage);
  }
  const validate = (value: string | undefined): string | undefined => {
    if (!value) return 'type it, or press Ctrl+C to stop';
    return request.isNew ? passwordProblem(value) : undefined;
  };
  const first = answered(await password({ message: request.message, validate }));
  if (request.isNew) {
    answered(await password({ message: 'Type it again', validate: (value) => (value === first ? undefined : 'the two do not match') }));
  }
  return first;
}

/** A 6-digit code from a prompt (only called on a terminal). */
export async function askCode(message: string): Promise<string> {
  const value = answered(
    await text({ message, placeholder: '123456', validate: (v) => (otpSchema.safeParse(v).success ? undefined : 'a 6-digit code') }),
  );
  return value.trim();
}

/** Checks a code given as a flag. */
export function checkCode(code: string, flag = '--code'): string {
  const parsed = otpSchema.safeParse(code);
  if (!parsed.success) throw new UserError(`${flag} takes the 6-digit code from your authenticator app`, EXIT.usage);
  return parsed.data;
}

function checkNewPassword(value: string, source: string): void {
  const problem = passwordProblem(value);
  if (problem) throw new UserError(`${source}: ${problem}`, EXIT.usage);
}

function passwordProblem(value: string): string | undefined {
  const parsed = passwordSchema.safeParse(value);
  return parsed.success ? undefined : `new password: ${parsed.error.issues[0]?.message ?? 'not accepted'}`;
}

function answered<T>(value: T | symbol): T {
  if (isCancel(value)) throw new UserError('cancelled', EXIT.failure);
  return value;
}
