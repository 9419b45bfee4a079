// Blob store keys: chosen by the server, checked again by every adapter so no key can escape its root.
import { NimbusError } from '@nimbus/protocol';

const KEY_PATTERN = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/** Throws unless `key` is `[A-Za-z0-9._/-]`, relative, without empty, `.` or `..` segments. */
export function assertValidKey(key: string): void {
  const ok = key.length > 0 && key.length <= 512 && KEY_PATTERN.test(key) && !key.split('/').some((part) => part === '.' || part === '..');
  if (!ok) throw new NimbusError('INTERNAL', `invalid blob store key "${key.slice(0, 80)}"`);
}

/** Where an account's copy of a blob lives: unique per upload, so a re-upload never races a delete. */
export function storageKeyFor(accountId: string, sha256: string, uploadId: string): string {
  const key = `${accountId}/${sha256}-${uploadId}`;
  assertValidKey(key);
  return key;
}

/** The object holding the backup chunks of one pack upload (each blob row names its range). */
export function packKeyFor(accountId: string, packId: string): string {
  const key = `${accountId}/pack-${packId}`;
  assertValidKey(key);
  return key;
}

/** Transfers between the network, disk and hash read and write in chunks of this size. */
export const IO_CHUNK_BYTES = 1024 * 1024;
