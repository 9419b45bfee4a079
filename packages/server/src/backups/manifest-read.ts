// Reads a snapshot's manifest back from the blob store, so the server itself learns which chunks it refers to.
import { NimbusError, backupManifest, type BackupManifest } from '@nimbus/protocol';
import { gunzipSync } from 'node:zlib';
import type { ServerContext } from '../context.js';
import { findBlob } from '../blobs/blob-queries.js';
import { openStoredBlob } from '../blobs/stored-blob.js';

/** The largest manifest the server unpacks (JSON text): about a million files. */
export const MANIFEST_MAX_BYTES = 512 * 1024 * 1024;

/** Concatenates the manifest's blobs, unzips and checks them; a BAD_REQUEST says what is wrong. */
export async function readManifest(ctx: ServerContext, accountId: string, shas: readonly string[]): Promise<BackupManifest> {
  const parts: Buffer[] = [];
  for (const sha of shas) {
    const row = await findBlob(ctx.store.db, accountId, sha);
    if (!row) throw new NimbusError('BAD_REQUEST', `manifest blob ${sha} is not uploaded`);
    const stream = await openStoredBlob(ctx.blobs, row);
    for await (const chunk of stream) parts.push(chunk as Buffer);
  }
  let text: string;
  try {
    text = gunzipSync(Buffer.concat(parts), { maxOutputLength: MANIFEST_MAX_BYTES }).toString('utf8');
  } catch {
    throw new NimbusError('BAD_REQUEST', `the manifest is not gzip data of at most ${MANIFEST_MAX_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new NimbusError('BAD_REQUEST', 'the manifest is not JSON');
  }
  const parsed = backupManifest.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 20).map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
    throw new NimbusError('BAD_REQUEST', 'the manifest does not have the backup manifest shape', { issues });
  }
  return parsed.data;
}
