// Test helpers for the adapters: temp libraries, an engine-like mirror, a hand-made JPEG with EXIF.
import { mkdtemp, mkdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { NimbusRecord, Zone } from '@nimbus/protocol';
import type { ApplyResult, LibraryFs, LocalChange, MirrorItem } from '../adapter.js';

export async function tempLibrary(): Promise<LibraryFs> {
  return { root: await mkdtemp(join(tmpdir(), 'nimbus-lib-')) };
}

/** Writes a library-relative file (folders made), optionally with a fixed mtime. */
export async function put(fs: LibraryFs, rel: string, content: string | Uint8Array, mtimeMs?: number): Promise<string> {
  const abs = join(fs.root, ...rel.split('/'));
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, content);
  if (mtimeMs !== undefined) await utimes(abs, new Date(mtimeMs), new Date(mtimeMs));
  return abs;
}

/** What the engine does after an ok: the mirror takes the change's data and local stat at `version`. */
export function commit(mirror: Map<string, MirrorItem>, changes: LocalChange[], version = 1): Map<string, MirrorItem> {
  for (const c of changes) {
    if (c.kind === 'delete') {
      mirror.delete(c.id);
      continue;
    }
    mirror.set(c.id, {
      zone: c.zone, id: c.id, version: (mirror.get(c.id)?.version ?? 0) + version, data: c.data, blobs: c.blobs.map((b) => b.sha256),
      path: c.path, localSize: c.localSize, localMtimeMs: c.localMtimeMs, localHash: c.localHash,
    });
  }
  return mirror;
}

/** The mirror row after applying `record` with result `r`. */
export function mirrorAfterApply(mirror: Map<string, MirrorItem>, record: NimbusRecord, r: ApplyResult): void {
  if (record.deleted) {
    mirror.delete(record.id);
    return;
  }
  mirror.set(record.id, {
    zone: record.zone, id: record.id, version: record.version, data: record.data, blobs: record.blobs,
    path: r.path, localSize: r.localSize, localMtimeMs: r.localMtimeMs, localHash: r.localHash,
  });
}

export function record(zone: Zone, id: string, version: number, data: Record<string, unknown> | null, blobs: string[] = []): NimbusRecord {
  return { zone, id, version, deleted: data === null, data, blobs, size: data ? JSON.stringify(data).length : 0, modifiedAt: 0 };
}

export const noBlobs = (): Promise<string> => Promise.reject(new Error('no blob expected'));

/**
 * A minimal JPEG (SOI, APP1 Exif, EOI) whose EXIF says: Make "Nimbus", Model "TestCam 1",
 * DateTimeOriginal 2024:05:06 07:08:09, 640×480. No picture data: readers of metadata do not need it.
 */
export function jpegWithExif(): Buffer {
  const tiff = Buffer.alloc(130);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  const entry = (at: number, tag: number, type: number, count: number, value: number): void => {
    tiff.writeUInt16LE(tag, at);
    tiff.writeUInt16LE(type, at + 2);
    tiff.writeUInt32LE(count, at + 4);
    tiff.writeUInt32LE(value, at + 8);
  };
  tiff.writeUInt16LE(3, 8); // IFD0: Make, Model, Exif pointer
  entry(10, 0x010f, 2, 7, 50);
  entry(22, 0x0110, 2, 10, 57);
  entry(34, 0x8769, 4, 1, 68);
  tiff.writeUInt32LE(0, 46);
  tiff.write('Nimbus\0', 50, 'latin1');
  tiff.write('TestCam 1\0', 57, 'latin1');
  tiff.writeUInt16LE(3, 68); // Exif IFD: DateTimeOriginal, PixelX, PixelY
  entry(70, 0x9003, 2, 20, 110);
  entry(82, 0xa002, 4, 1, 640);
  entry(94, 0xa003, 4, 1, 480);
  tiff.writeUInt32LE(0, 106);
  tiff.write('2024:05:06 07:08:09\0', 110, 'latin1');
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, payload, Buffer.from([0xff, 0xd9])]);
}
