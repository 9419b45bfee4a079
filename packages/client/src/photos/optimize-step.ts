// Optimize Storage, the pass's last step. On: originals beyond the local budget (oldest first, never one the user
// brought back) become optimized stand-ins — only once the server holds the original (its record carries the
// blob, nothing about it waits in the outbox). Off, and for photos asked for with `nimbus photos get`: originals
// come back from the server.
//
// Crash safety: at every moment the mirror row describes a file a scan accepts as this photo. The original always
// is one (it hashes to the id); a stand-in is one only while the row marks it. So going to a stand-in, the row is
// marked (durably) before the rename; coming back, the original is renamed into place before the row forgets the mark.
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MirrorItem } from '../adapters/adapter.js';
import { copyFileAtomic, syncDir, tempPathFor } from '../adapters/atomic-write.js';
import { hashFile } from '../adapters/file-hash.js';
import { STANDIN_PREFIX, standinMark } from '../adapters/photo-standin.js';
import { absolute } from '../adapters/safe-path.js';
import { statMatches } from '../adapters/scan-plan.js';
import { downloadBlob, meterOf } from '../sync/blob-transfer.js';
import type { PassContext } from '../sync/pass-context.js';
import { writeOptimized, writeThumbnail } from './optimize-image.js';
import { pinnedPhotos, readOptimizeSettings } from './optimize-settings.js';

/** A photo row with a file in the library whose original the server holds. */
const onServer = (item: MirrorItem): item is MirrorItem & { path: string; localSize: number; localMtimeMs: number } =>
  !item.deleted && item.path !== null && item.localSize !== null && item.localMtimeMs !== null && item.version > 0 && item.blobs.includes(item.id);

const isOriginal = (item: MirrorItem): boolean => item.localHash === item.id;

/** Where the thumbnails of stand-ins live: beside the downloads, in NIMBUS_HOME (never in the library). */
export const thumbnailsDir = (downloadsDir: string): string => join(dirname(downloadsDir), 'thumbnails');

export async function optimizePhotos(ctx: PassContext): Promise<{ optimized: number; restored: number }> {
  const settings = readOptimizeSettings(ctx.store);
  const pinned = pinnedPhotos(ctx.store);
  // Off (the default), only stand-ins matter: read those, not the whole zone, on every pass.
  const standins = ctx.store.mirrorWithLocalHashPrefix('photos', STANDIN_PREFIX).filter(onServer);
  const wanted = standins.filter((item) => !settings.enabled || pinned.has(item.id));
  let restored = 0;
  for (const item of wanted) if (await restoreOriginal(ctx, item)) restored++;
  if (!settings.enabled) return { optimized: 0, restored };

  const originals = [...ctx.store.mirrorZone('photos').values()].filter(onServer).filter(isOriginal);
  let kept = originals.reduce((sum, item) => sum + item.localSize, 0);
  const candidates = originals
    .filter((item) => !pinned.has(item.id) && !ctx.outbox.hasPending('photos', item.id))
    .sort((a, b) => a.localMtimeMs - b.localMtimeMs);
  let optimized = 0;
  for (const item of candidates) {
    if (kept <= settings.localBudgetBytes) break;
    const saved = await makeStandin(ctx, item);
    if (saved !== null) {
      kept -= item.localSize;
      optimized++;
    }
  }
  return { optimized, restored };
}

/** Replaces the original by its optimized version; returns the bytes it freed, or null when it kept the original. */
async function makeStandin(ctx: PassContext, item: MirrorItem & { path: string; localSize: number }): Promise<number | null> {
  const abs = absolute(ctx.library.root, item.path);
  const now = await stat(abs).catch(() => null);
  // Changed since the last sync (or gone): the next scan deals with it first.
  if (!now?.isFile() || !statMatches(item, now.size, now.mtimeMs)) return null;
  const temp = tempPathFor(abs);
  try {
    if (!(await writeOptimized(abs, temp, item.localSize))) {
      await rm(temp, { force: true });
      return null;
    }
    await syncFile(temp);
    const written = await stat(temp);
    const { sha256 } = await hashFile(temp);
    await mkdir(thumbnailsDir(ctx.downloadsDir), { recursive: true });
    await writeThumbnail(abs, join(thumbnailsDir(ctx.downloadsDir), `${item.id}.jpg`));
    ctx.store.durableTx(() => ctx.store.putMirror({ ...item, localSize: written.size, localMtimeMs: Math.round(written.mtimeMs), localHash: standinMark(sha256) }));
    await rename(temp, abs);
    await syncDir(dirname(abs));
    return item.localSize - written.size;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Brings the original back from the server in place of its stand-in; false when the stand-in changed meanwhile. */
async function restoreOriginal(ctx: PassContext, item: MirrorItem & { path: string }): Promise<boolean> {
  const abs = absolute(ctx.library.root, item.path);
  const now = await stat(abs).catch(() => null);
  // A stand-in edited, moved or deleted since (or its change not yet sent): the user's change comes first.
  if (!now?.isFile() || !statMatches(item, now.size, now.mtimeMs) || ctx.outbox.hasPending('photos', item.id)) return false;
  const downloaded = await downloadBlob(ctx.transport, item.id, ctx.downloadsDir, ctx.signal, meterOf(ctx));
  try {
    const placed = await copyFileAtomic(downloaded, abs);
    ctx.store.durableTx(() => ctx.store.putMirror({ ...item, localSize: placed.size, localMtimeMs: placed.mtimeMs, localHash: item.id }));
  } finally {
    await rm(downloaded, { force: true });
  }
  await rm(join(thumbnailsDir(ctx.downloadsDir), `${item.id}.jpg`), { force: true });
  return true;
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
