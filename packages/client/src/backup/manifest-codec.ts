// A snapshot's manifest as blobs: gzipped JSON cut into pieces small enough for a blob pack.
import { LIMITS, NimbusError, backupManifest, type BackupManifest } from '@nimbus/protocol';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { hashText } from '../adapters/file-hash.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export interface ManifestPiece {
  sha256: string;
  bytes: Buffer;
}

/** Pieces in order; concatenated, they are the gzip stream of the manifest's JSON. */
export async function encodeManifest(manifest: BackupManifest): Promise<ManifestPiece[]> {
  const packed = await gzipAsync(JSON.stringify(manifest));
  const pieces: ManifestPiece[] = [];
  for (let start = 0; start < packed.length; start += LIMITS.blobPackBlobMaxBytes) {
    const bytes = packed.subarray(start, start + LIMITS.blobPackBlobMaxBytes);
    pieces.push({ sha256: hashText(bytes), bytes });
  }
  return pieces;
}

export async function decodeManifest(pieces: readonly Buffer[]): Promise<BackupManifest> {
  let json: unknown;
  try {
    json = JSON.parse((await gunzipAsync(Buffer.concat(pieces))).toString('utf8'));
  } catch {
    throw new NimbusError('BAD_REQUEST', 'the backup manifest is damaged (not gzipped JSON)');
  }
  const parsed = backupManifest.safeParse(json);
  if (!parsed.success) throw new NimbusError('BAD_REQUEST', 'the backup manifest is damaged (unexpected shape)');
  return parsed.data;
}
