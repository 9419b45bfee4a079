import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ItemError, type LocalChange } from './adapter.js';
import { createPhotosAdapter } from './photos.js';
import { commit, jpegWithExif, mirrorAfterApply, noBlobs, put, record, tempLibrary } from './testing/kit.js';

const photos = createPhotosAdapter();
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const puts = (changes: LocalChange[]) => changes.filter((c): c is LocalChange & { kind: 'put' } => c.kind === 'put');

describe('photos scan', () => {
  it('makes immutable items keyed by SHA-256 with EXIF metadata, follows moves and deletes', async () => {
    const fs = await tempLibrary();
    const jpeg = jpegWithExif();
    await put(fs, 'Photos/2024/beach.jpg', jpeg);
    await put(fs, 'Photos/broken.png', Buffer.from('not really a png'));
    await put(fs, 'Photos/notes.txt', 'not a photo');
    const first = await photos.scan(new Map(), fs);
    expect(first).toHaveLength(2);
    const beach = puts(first).find((c) => c.path === 'Photos/2024/beach.jpg')!;
    expect(beach.id).toBe(sha(jpeg));
    expect(beach.blobs).toEqual([{ sha256: sha(jpeg), size: jpeg.length, file: join(fs.root, 'Photos/2024/beach.jpg') }]);
    expect(beach.data).toEqual({
      path: '2024/beach.jpg', name: 'beach.jpg', size: jpeg.length, mime: 'image/jpeg',
      takenAt: new Date(2024, 4, 6, 7, 8, 9).getTime(), camera: 'Nimbus TestCam 1', width: 640, height: 480,
    });
    const broken = puts(first).find((c) => c.path === 'Photos/broken.png')!;
    expect(broken.data).toEqual({ path: 'broken.png', name: 'broken.png', size: 16, mime: 'image/png' }); // bad EXIF never fails

    const mirror = commit(new Map(), first);
    expect(await photos.scan(mirror, fs)).toEqual([]);
    await rename(join(fs.root, 'Photos/2024/beach.jpg'), join(fs.root, 'Photos/beach.jpg'));
    const moved = await photos.scan(mirror, fs);
    expect(moved).toEqual([expect.objectContaining({ kind: 'put', id: beach.id, path: 'Photos/beach.jpg' })]);
    commit(mirror, moved);
    await rm(join(fs.root, 'Photos/beach.jpg'));
    expect(await photos.scan(mirror, fs)).toEqual([{ kind: 'delete', zone: 'photos', id: beach.id, path: 'Photos/beach.jpg' }]);
  });

  it('a replaced picture is a delete of the old item and a new item', async () => {
    const fs = await tempLibrary();
    await put(fs, 'Photos/a.jpg', 'first version');
    const mirror = commit(new Map(), await photos.scan(new Map(), fs));
    await put(fs, 'Photos/a.jpg', 'second version!', Date.UTC(2026, 0, 1));
    const changes = await photos.scan(mirror, fs);
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'put', id: sha('second version!') }));
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'delete', id: sha('first version') }));
  });
});

describe('photos apply', () => {
  it('downloads the original to data.path; a name taken by another file keeps both', async () => {
    const fs = await tempLibrary();
    const jpeg = jpegWithExif();
    const blob = await put(fs, 'downloads/blob', jpeg);
    await put(fs, 'Photos/beach.jpg', 'a different picture');
    const rec = record('photos', sha(jpeg), 1, { path: 'beach.jpg', name: 'beach.jpg', size: jpeg.length, mime: 'image/jpeg' }, [sha(jpeg)]);
    const r = await photos.apply(rec, undefined, fs, async (s) => (s === sha(jpeg) ? blob : Promise.reject(new Error('wrong blob'))));
    expect(r.path).toBe('Photos/beach 2.jpg');
    expect(await readFile(join(fs.root, 'Photos/beach 2.jpg'))).toEqual(jpeg);
    expect(await readFile(join(fs.root, 'Photos/beach.jpg'), 'utf8')).toBe('a different picture');
    // The server learns the name it got here.
    expect(r.followUps).toEqual([expect.objectContaining({ kind: 'put', id: sha(jpeg), data: expect.objectContaining({ path: 'beach 2.jpg', camera: 'Nimbus TestCam 1' }) })]);
    const mirror = new Map();
    mirrorAfterApply(mirror, { ...rec, data: r.followUps[0]!.kind === 'put' ? r.followUps[0]!.data : null }, r);
    // Only the unrelated local picture is new.
    expect((await photos.scan(mirror, fs)).map((c) => [c.kind, c.id])).toEqual([['put', sha('a different picture')]]);
  });

  it('metadata before the original places nothing; a tombstone removes the photo', async () => {
    const fs = await tempLibrary();
    const rec = record('photos', sha('pic'), 1, { path: 'x.jpg', name: 'x.jpg', size: 3, mime: 'image/jpeg' });
    expect((await photos.apply(rec, undefined, fs, noBlobs)).path).toBeNull();
    await put(fs, 'Photos/x.jpg', 'pic');
    const mirror = commit(new Map(), await photos.scan(new Map(), fs));
    await photos.apply(record('photos', sha('pic'), 2, null), mirror.get(sha('pic')), fs, noBlobs);
    expect(await readdir(join(fs.root, 'Photos'))).toEqual([]);
  });

  it('refuses hostile paths', async () => {
    const fs = await tempLibrary();
    for (const path of ['../../x.jpg', '/x.jpg', 'a/../x.jpg', 'evil.sh']) {
      await expect(photos.apply(record('photos', sha('p'), 1, { path }, [sha('p')]), undefined, fs, noBlobs)).rejects.toBeInstanceOf(ItemError);
    }
    expect(await readdir(fs.root)).toEqual([]);
  });
});
