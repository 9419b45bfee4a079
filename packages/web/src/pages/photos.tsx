// Photos: a grid of thumbnails, newest first; a photo opens full size with its details and a download.
import type { NimbusRecord } from '@nimbus/protocol';
import { useState } from 'preact/hooks';
import { errorText } from '../api';
import { downloadBlob, saveAs } from '../blobs';
import { BlobImage } from '../components/blob-image';
import { useLoad } from '../components/use-load';
import { formatBytes, formatDate } from '../format';
import { loadZone } from '../records';

interface Photo {
  id: string;
  name: string;
  path: string;
  size: number;
  /** The original's hash; null while only the metadata has arrived. */
  sha256: string | null;
  takenAt: number;
}

function toPhoto(record: NimbusRecord): Photo | null {
  const d = record.data;
  if (typeof d?.['path'] !== 'string') return null;
  const taken = typeof d['takenAt'] === 'number' ? d['takenAt'] : record.modifiedAt;
  const name = typeof d['name'] === 'string' ? d['name'] : d['path'];
  return { id: record.id, name, path: d['path'], size: Number(d['size'] ?? 0), sha256: record.blobs[0] ?? null, takenAt: taken };
}

async function loadPhotos(): Promise<Photo[]> {
  const photos = (await loadZone('photos')).map(toPhoto).filter((p): p is Photo => p !== null);
  return photos.sort((a, b) => b.takenAt - a.takenAt);
}

export function PhotosPage() {
  const photos = useLoad(loadPhotos);
  const [open, setOpen] = useState<Photo | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function download(photo: Photo): Promise<void> {
    if (photo.sha256 === null) return;
    try {
      saveAs(await downloadBlob(photo.sha256), photo.name);
    } catch (e) {
      setError(errorText(e));
    }
  }

  return (
    <>
      <h1>Photos</h1>
      {(photos.error ?? error) && <p class="error">{photos.error ?? error}</p>}
      {photos.value?.length === 0 && <p class="muted">No photos yet. Photos put in a device's Photos folder appear here.</p>}
      {open ? (
        <section class="card viewer" aria-label={open.name}>
          <div class="actions">
            <button type="button" onClick={() => setOpen(null)} autoFocus>
              Back to all photos
            </button>
            <button type="button" onClick={() => void download(open)} disabled={open.sha256 === null}>
              Download
            </button>
          </div>
          {open.sha256 ? <BlobImage sha256={open.sha256} alt={open.name} class="full" /> : <p class="muted">The original is still on its way.</p>}
          <p>
            <strong>{open.name}</strong> <span class="muted">· {formatDate(open.takenAt)} · {formatBytes(open.size)}</span>
          </p>
        </section>
      ) : (
        <ul class="photo-grid" aria-label="All photos">
          {photos.value?.map((p) => (
            <li key={p.id}>
              <button type="button" class="tile" onClick={() => setOpen(p)} aria-label={`Open ${p.name}`}>
                {p.sha256 ? <BlobImage sha256={p.sha256} alt="" /> : <span class="muted">…</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
