// Drive: folders, upload with a progress bar, download, new folder, delete. Items are the same records devices
// write ({path, kind, size, mtimeMs, sha256} + the blob), so they land in every device's Drive folder.
import type { NimbusRecord, RecordWrite } from '@nimbus/protocol';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { canHash, downloadBlob, saveAs, uploadBlob } from '../blobs';
import { ConfirmDialog } from '../components/confirm';
import { FileIcon, FolderIcon } from '../components/icons';
import { NameForm } from '../components/name-form';
import { useLoad } from '../components/use-load';
import { formatBytes, formatDate } from '../format';
import { loadZone, newRecordId, safeFileName, writeProblem, writeRecord } from '../records';

interface DriveItem {
  id: string;
  version: number;
  path: string;
  kind: 'file' | 'folder';
  size: number;
  sha256: string | null;
  modifiedAt: number;
}

function toItem(record: NimbusRecord): DriveItem | null {
  const d = record.data;
  if (typeof d?.['path'] !== 'string' || (d['kind'] !== 'file' && d['kind'] !== 'folder')) return null;
  const sha = typeof d['sha256'] === 'string' ? d['sha256'] : null;
  return { id: record.id, version: record.version, path: d['path'], kind: d['kind'], size: Number(d['size'] ?? 0), sha256: sha, modifiedAt: record.modifiedAt };
}

const parentOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const join = (folder: string, name: string): string => (folder === '' ? name : `${folder}/${name}`);

async function loadDrive(): Promise<DriveItem[]> {
  return (await loadZone('drive')).map(toItem).filter((i): i is DriveItem => i !== null);
}

/** Folders a device made implicitly (a file in a/b without folder records for a or a/b) are shown too. */
function entriesIn(items: DriveItem[], folder: string): { folders: string[]; files: DriveItem[] } {
  const folders = new Set<string>();
  const files: DriveItem[] = [];
  for (const item of items) {
    if (item.kind === 'file' && parentOf(item.path) === folder) files.push(item);
    const rest = folder === '' ? item.path : item.path.startsWith(`${folder}/`) ? item.path.slice(folder.length + 1) : null;
    if (rest === null || rest === '') continue;
    const first = rest.split('/')[0] ?? '';
    if (rest.includes('/') || item.kind === 'folder') folders.add(join(folder, first));
  }
  return { folders: [...folders].sort((a, b) => a.localeCompare(b)), files: files.sort((a, b) => a.path.localeCompare(b.path)) };
}

export function DrivePage() {
  const items = useLoad(loadDrive);
  const [folder, setFolder] = useState('');
  const [progress, setProgress] = useState<{ name: string; sent: number; total: number } | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [newFolder, setNewFolder] = useState('');
  const [doomed, setDoomed] = useState<{ path: string; kind: 'file' | 'folder' } | null>(null);
  const all = items.value ?? [];
  const { folders, files } = entriesIn(all, folder);
  const crumbs = folder === '' ? [] : folder.split('/');

  async function upload(list: FileList | null): Promise<void> {
    if (!list) return;
    try {
      for (const file of [...list]) {
        setProgress({ name: file.name, sent: 0, total: file.size });
        const sha256 = await uploadBlob(file, 'drive', (sent, total) => setProgress({ name: file.name, sent, total }));
        const path = join(folder, safeFileName(file.name));
        const existing = all.find((i) => i.path === path && i.kind === 'file');
        const data = { path, kind: 'file', size: file.size, mtimeMs: file.lastModified, sha256 };
        const problem = writeProblem(await writeRecord({ zone: 'drive', id: existing?.id ?? newRecordId(), baseVersion: existing?.version ?? 0, data, blobs: [sha256] }));
        if (problem !== null) throw new Error(problem);
      }
      setMessage({ ok: true, text: `Uploaded ${list.length === 1 ? list[0]?.name : `${list.length} files`}.` });
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    } finally {
      setProgress(null);
      await items.reload();
    }
  }

  async function makeFolder(event: Event): Promise<void> {
    event.preventDefault();
    const path = join(folder, safeFileName(newFolder));
    setNewFolder('');
    const data = { path, kind: 'folder', size: 0, mtimeMs: Date.now(), sha256: null };
    const problem = writeProblem(await writeRecord({ zone: 'drive', id: newRecordId(), baseVersion: 0, data }));
    setMessage(problem === null ? { ok: true, text: `Made the folder ${baseName(path)}.` } : { ok: false, text: problem });
    await items.reload();
  }

  async function download(item: DriveItem): Promise<void> {
    if (item.sha256 === null) return;
    try {
      saveAs(await downloadBlob(item.sha256), baseName(item.path));
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  }

  async function remove(target: { path: string; kind: 'file' | 'folder' }): Promise<void> {
    setDoomed(null);
    const gone = all.filter((i) => i.path === target.path || (target.kind === 'folder' && i.path.startsWith(`${target.path}/`)));
    const writes: RecordWrite[] = gone.map((i) => ({ zone: 'drive', id: i.id, baseVersion: i.version, delete: true }));
    try {
      if (writes.length > 0) {
        const { results } = await api<{ results: Parameters<typeof writeProblem>[0][] }>('POST', '/v1/records/batch', { writes });
        const problem = results.map(writeProblem).find((p) => p !== null);
        if (problem) throw new Error(problem);
      }
      setMessage({ ok: true, text: `Deleted ${baseName(target.path)}.` });
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
    await items.reload();
  }

  return (
    <>
      <h1>Drive</h1>
      <nav class="crumbs" aria-label="Folder">
        <button type="button" class="link-button" onClick={() => setFolder('')} aria-current={folder === '' ? 'location' : undefined}>
          Drive
        </button>
        {crumbs.map((name, i) => {
          const path = crumbs.slice(0, i + 1).join('/');
          return (
            <span key={path}>
              {' / '}
              <button type="button" class="link-button" onClick={() => setFolder(path)} aria-current={path === folder ? 'location' : undefined}>
                {name}
              </button>
            </span>
          );
        })}
      </nav>
      <section class="card">
        <div class="toolbar">
          <label class={`button primary ${canHash() ? '' : 'disabled'}`}>
            Upload files
            <input type="file" multiple class="sr-only" disabled={!canHash() || progress !== null} onChange={(e) => void upload(e.currentTarget.files)} />
          </label>
          <NameForm placeholder="New folder name" button="New folder" value={newFolder} onInput={setNewFolder} onSubmit={(e) => void makeFolder(e)} />
        </div>
        {!canHash() && <p class="muted">Uploading needs this page over HTTPS (or on localhost).</p>}
        <div class="progress-slot">
          {progress && (
            <label class="progress-label">
              Uploading {progress.name}: {formatBytes(progress.sent)} of {formatBytes(progress.total)}
              <progress max={Math.max(progress.total, 1)} value={progress.sent} />
            </label>
          )}
          {!progress && message && (
            <p class={message.ok ? 'success' : 'error'} role="status">
              {message.text}
            </p>
          )}
        </div>
        {items.error && <p class="error">{items.error}</p>}
        <ul class="rows" aria-label={`Contents of ${folder || 'Drive'}`}>
          {folders.map((path) => (
            <li key={path} class="row">
              <FolderIcon />
              <button type="button" class="link-button grow left ellipsis" onClick={() => setFolder(path)}>
                {baseName(path)}
              </button>
              <button type="button" class="danger" aria-label={`Delete folder ${baseName(path)}`} onClick={() => setDoomed({ path, kind: 'folder' })}>
                Delete
              </button>
            </li>
          ))}
          {files.map((item) => (
            <li key={item.id} class="row">
              <FileIcon />
              <span class="grow ellipsis">{baseName(item.path)}</span>
              <span class="muted num">
                {formatBytes(item.size)} · {formatDate(item.modifiedAt)}
              </span>
              <button type="button" aria-label={`Download ${baseName(item.path)}`} onClick={() => void download(item)}>
                Download
              </button>
              <button type="button" class="danger" aria-label={`Delete ${baseName(item.path)}`} onClick={() => setDoomed({ path: item.path, kind: 'file' })}>
                Delete
              </button>
            </li>
          ))}
          {items.value !== null && folders.length === 0 && files.length === 0 && <li class="muted row">This folder is empty.</li>}
        </ul>
      </section>
      <ConfirmDialog
        open={doomed !== null}
        title={`Delete ${doomed ? baseName(doomed.path) : ''}?`}
        confirmLabel="Delete"
        onCancel={() => setDoomed(null)}
        onConfirm={() => doomed && void remove(doomed)}
      >
        <p>{doomed?.kind === 'folder' ? 'The folder and everything in it are' : 'The file is'} deleted on every device.</p>
      </ConfirmDialog>
    </>
  );
}
